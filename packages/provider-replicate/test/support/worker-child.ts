/** Child process for the crash test: runs one worker until it is killed. Config comes as JSON in argv[2]. */
import { createStack, type StackEnv } from './worker-stack.js';

const env = JSON.parse(process.argv[2]!) as StackEnv;
const { worker } = createStack(env);
worker.on('error', ({ error }) => console.error('[worker-child]', error));
worker.start();
process.send?.('started');
