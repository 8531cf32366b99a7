// @jobkit/cli: the `jobkit` program, callable in-process (tests, wrappers) through `main(argv, io)`.
export { main, programHelp, COMMANDS } from './main.js';
export { EXIT, UsageError, type CliIo, type OutputStream, type ExitCode } from './io.js';
export type { Command, CommandContext } from './command.js';
export { parseCsv, type CsvRecord } from './csv.js';
export { scanInput, scanFolder, scanCsv, type InputScan, type PhotoInput, type FileInput, type UrlInput, type RejectedInput } from './input.js';
export { openRuntime, openPipeline, type Runtime, type RuntimeOptions, type Pipeline, type PipelineOptions } from './runtime.js';
export { DEFAULT_PIPELINE, aspectSpecs, compositorOptions, type PipelineSettings } from './pipeline-options.js';
export type { ReviewOptions } from './review-options.js';
export { hostedSegmenterFromEnv, type HostedSegmenterConfig } from './hosted-segmenter.js';
export { VERSION } from './version.js';
