import { INTAKE_CONFIG } from '../shared/config/deployment-intake';
import { workflowHandler } from '../shared/handler';
import { intake, intakeEventSchema } from './intake';

const config = INTAKE_CONFIG.load();

/** First task of every execution: validates the input before the lock is taken or anything else happens. */
export const handler = workflowHandler(intakeEventSchema, async (event) => intake(event, config));
