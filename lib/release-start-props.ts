/**
 * Starting deployments from EventBridge: the `Release Candidate Ready` event (always on) and, when configured, a
 * push to an ECR repository. docs/release-candidate-event.md describes both.
 */
export interface ReleaseStartSettings {
  /**
   * `source` of the `Release Candidate Ready` events that start a deployment. Not `deployment-crew` (the crew's own
   * events) and not `aws.…` (reserved). Restrict who may send it with the `events:source` condition on
   * `events:PutEvents`.
   * @default 'deployment-crew.release'
   */
  readonly source?: string;
  /**
   * Name of the bus the `Release Candidate Ready` rule listens on (ECR pushes always arrive on the default bus).
   * @default - the crew's `eventBusName` ('default' unless set)
   */
  readonly eventBusName?: string;
  /**
   * Start a deployment when an image is pushed to an ECR repository of the stack's account and region.
   * @default - none: pushes start nothing
   */
  readonly ecrPush?: EcrPushStartSettings;
}

/**
 * A push that starts a deployment: `aws.ecr` / `ECR Image Action`, action PUSH, result SUCCESS, on the repository,
 * with a tag the pattern matches. The release's image is the pushed digest (`<registry>/<repository>@sha256:…`), so a
 * tag moved later cannot change what is deployed; its version is the tag.
 */
export interface EcrPushStartSettings {
  /** The repository (in the stack's account and region), e.g. `shop/web`. */
  readonly repositoryName: string;
  /**
   * EventBridge wildcard on the pushed tag: `*` matches any characters, e.g. `v*` (a prefix) or `release-*.*.*`.
   * Letters, digits, `_`, `.`, `-` and `*` only. A pattern that matches `latest` is refused (the intake refuses the
   * mutable tag); so is a lone `*`, which would also match signature and attestation tags (`sha256-….sig`).
   */
  readonly tagPattern: string;
  /**
   * Whether every release a push starts changes the database schema (runs the migration). A push cannot say so:
   * releases that change the schema, when this is false, must be started with the `Release Candidate Ready` event
   * (or from the console). True needs the stack's `migration`.
   * @default false
   */
  readonly schemaChange?: boolean;
}
