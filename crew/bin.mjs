#!/usr/bin/env node
// `crew`: runs the TypeScript CLI through tsx (installed with the project), so there is no build step.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
