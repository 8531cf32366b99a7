/** jobkit/testing: conformance suites for stores, and fakes for unit tests. */
export { runJobStoreConformance, type JobStoreConformanceOptions } from './testing/job-store-conformance.js';
export { runObjectStoreConformance, type ObjectStoreConformanceOptions } from './testing/object-store-conformance.js';
export { makeJob, randomSha256, creationEvent, eventFor } from './testing/job-factory.js';
export { rejectionOf, codeOf } from './testing/rejection.js';
export {
  createFakeClock,
  createFakeSegmenter,
  createFakeBackgroundGenerator,
  createFakeCompositor,
  createFakeStorefront,
  createFakeQualityGate,
  type FakeClock,
  type FakeSegmenterOptions,
  type FakeFailure,
  type FakeProviderOptions,
  type FakeCompositorOptions,
  type FakeCounters,
} from './testing/fakes.js';
