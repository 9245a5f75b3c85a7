import { workflowHandler } from '../shared/handler';
import { parseJsonEnv } from '../shared/validation';
import { intake, intakeConfigSchema, intakeEventSchema } from './intake';

const config = parseJsonEnv('INTAKE_CONFIG', intakeConfigSchema);

/** First task of every execution: validates the input before the lock is taken or anything else happens. */
export const handler = workflowHandler(intakeEventSchema, async (event) => intake(event, config));
