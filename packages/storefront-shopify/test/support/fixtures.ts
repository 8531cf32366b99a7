import { silentLogger, storefrontMarker, systemClock, type ImageSource, type Logger, type ProviderContext, type StorefrontImage } from 'jobkit';

/** Starts like a JPEG (the fake only checks the magic bytes). */
export function jpegBytes(seed: number, size = 2048): Buffer {
  const b = Buffer.alloc(size, seed & 0xff);
  b[0] = 0xff;
  b[1] = 0xd8;
  b[2] = 0xff;
  return b;
}

export function imageSource(key: string, bytes: Buffer, opts: { contentType?: string; publicUrl?: string | null } = {}): ImageSource & { reads: number } {
  const src = {
    key,
    contentType: opts.contentType ?? 'image/jpeg',
    reads: 0,
    async bytes() {
      src.reads++;
      return bytes;
    },
    async publicUrl() {
      return opts.publicUrl ?? null;
    },
  };
  return src;
}

export function images(jobId: string, sku: string, n = 3, bytes: (i: number) => Buffer = jpegBytes): StorefrontImage[] {
  const aspects = ['1x1', '4x5', '16x9'];
  return Array.from({ length: n }, (_, i) => {
    const aspect = aspects[i % aspects.length]!;
    const variant = Math.floor(i / aspects.length) + 1;
    const key = `composites/summer/${sku}/${'a'.repeat(64)}_${aspect}_${variant}_master.jpg`;
    return { key, aspect, variant, source: imageSource(key, bytes(i)), marker: storefrontMarker(jobId, aspect, variant) };
  });
}

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

export function recordingLogger(entries: LogEntry[] = [], bindings: Record<string, unknown> = {}): Logger & { entries: LogEntry[] } {
  const at = (level: LogEntry['level']) => (obj: Record<string, unknown>, msg?: string) => {
    entries.push({ level, obj: { ...bindings, ...obj }, msg });
  };
  return {
    entries,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (b) => recordingLogger(entries, { ...bindings, ...b }),
  };
}

export function providerContext(over: Partial<ProviderContext> = {}): ProviderContext {
  return {
    jobId: 'job',
    sku: 'sku',
    theme: 'summer',
    signal: new AbortController().signal,
    logger: silentLogger,
    clock: systemClock,
    previousRef: null,
    recordRef: async () => {},
    ...over,
  };
}
