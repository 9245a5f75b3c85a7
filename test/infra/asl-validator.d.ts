/** asl-validator 4 ships no type declarations: the programmatic API as its README and dist/src/validator.js have it. */
declare module 'asl-validator' {
  interface AslValidatorOptions {
    /** Validate JSONPath/intrinsic expressions (`*.$`, `*Path` fields). */
    readonly checkPaths?: boolean;
    /** Validate `Resource` ARNs. */
    readonly checkArn?: boolean;
  }

  interface AslValidatorError {
    readonly 'Error code': string;
    readonly Message: string;
  }

  interface AslValidatorResult {
    readonly isValid: boolean;
    readonly errors: readonly AslValidatorError[];
    readonly errorsText: (separator?: string) => string;
  }

  /** Validates a parsed definition. It writes a default `QueryLanguage` into the states: pass a fresh copy. */
  export default function aslValidator(definition: unknown, options?: AslValidatorOptions): AslValidatorResult;
}
