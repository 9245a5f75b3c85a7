import * as v from 'valibot';
import { record, strictObject } from '../lambdas/shared/validation';

/** The pieces scenario files are made of (rehearsal/scenario-schema.ts), each with what the JSON Schema says of it. */

/** An optional field and what docs/scenario.schema.json says of it. */
export const optional = <Schema extends v.GenericSchema>(schema: Schema, description: string) =>
  v.pipe(v.optional(schema), v.description(description));
/** A field and what docs/scenario.schema.json says of it. */
export const described = <Schema extends v.GenericSchema>(schema: Schema, description: string) =>
  v.pipe(schema, v.description(description));

export const percent = v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(100));
export const nonNegative = v.pipe(v.number(), v.finite(), v.minValue(0));
/** A number, or a value that depends on green's weight and on the minutes since green first got traffic. */
export function series(value: v.GenericSchema<number>, what: string) {
  const changing = strictObject({
    default: described(value, `${what} when neither atWeight nor fromMinute applies`),
    atWeight: optional(
      record(v.pipe(v.string(), v.regex(/^\d{1,3}$/)), value),
      `${what} while green carries this weight (%, as a string key); wins over fromMinute`,
    ),
    fromMinute: optional(
      v.array(
        described(
          strictObject({
            minute: v.pipe(
              v.number(),
              v.safeInteger(),
              v.minValue(0),
              v.description('whole minutes since green first got traffic'),
            ),
            value: described(value, `${what} from this minute on`),
          }),
          'a value from a minute on',
        ),
      ),
      `${what} from a minute on (the latest entry reached applies)`,
    ),
  });
  // The union's own error says both shapes; scenario.ts adds what was wrong inside the object.
  const members = Object.entries(changing.entries).map(([key, field]) => (field.type === 'optional' ? `${key}?` : key));
  return described(
    v.union(
      [
        described(value, `${what}, the same in every minute`),
        described(changing, `${what} that changes with green's weight or with time`),
      ],
      `expected a number, or an object { ${members.join(', ')} }`,
    ),
    what,
  );
}
export type SeriesInput = v.InferInput<ReturnType<typeof series>>;
