export * from './job-store.js';
export * from './object-store.js';
export * from './providers.js';
export * from './storefront.js';
export * from './clock.js';
export * from './logger.js';
export * from './quality.js';
