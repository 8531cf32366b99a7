import { runJobStoreConformance, runObjectStoreConformance } from 'jobkit/testing';
import { createMemoryJobStore, createMemoryObjectStore } from 'jobkit';

runJobStoreConformance({ name: 'memory', create: () => createMemoryJobStore(), destroy: (s) => s.close() });
runObjectStoreConformance({ name: 'memory', create: () => createMemoryObjectStore() });
