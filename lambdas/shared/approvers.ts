import * as v from 'valibot';

/**
 * Who may answer approvals and override a deployment: IAM role and user ARNs in the stack's account. The stack checks
 * the list at synth (and grants each one the function URLs); the functions match the IAM identity AWS verified on a
 * function URL request against it. An assumed-role session (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`) is its
 * role: session ARNs carry the role's name but not its path, and role names are unique in an account whatever the path.
 */

const NAME = '[\\w+=,.@-]+';
const APPROVER_ARN = new RegExp(`^arn:(aws[a-z-]*):iam::(\\d{12}):(role|user)((?:/${NAME})*)/(${NAME})$`);
const USER_ARN = new RegExp(`^arn:(aws[a-z-]*):iam::(\\d{12}):user(?:/${NAME})*/(${NAME})$`);
const SESSION_ARN = new RegExp(`^arn:(aws[a-z-]*):sts::(\\d{12}):assumed-role/(${NAME})/${NAME}$`);

export interface ApproverArn {
  readonly arn: string;
  readonly partition: string;
  readonly account: string;
  readonly kind: 'role' | 'user';
  /** Without the path. */
  readonly name: string;
}

/** Parses an approver ARN; undefined when it is not an IAM role or user ARN. */
export function parseApproverArn(arn: string): ApproverArn | undefined {
  const match = APPROVER_ARN.exec(arn);
  if (match === null) return undefined;
  const [, partition = '', account = '', kind, , name = ''] = match;
  return { arn, partition, account, kind: kind === 'role' ? 'role' : 'user', name };
}

/** The approvers as they travel in the functions' environment. */
export const approversSchema = v.pipe(
  v.array(
    v.pipe(
      v.string(),
      v.check(
        (arn) => parseApproverArn(arn) !== undefined,
        'an IAM role or user ARN (arn:aws:iam::ACCOUNT:role/NAME or arn:aws:iam::ACCOUNT:user/NAME)',
      ),
    ),
  ),
  v.minLength(1),
);

/** The identity behind a caller ARN: the role of a session, or the user. */
function principalOf(callerArn: string): Omit<ApproverArn, 'arn'> | undefined {
  const session = SESSION_ARN.exec(callerArn);
  if (session !== null) {
    const [, partition = '', account = '', name = ''] = session;
    return { partition, account, kind: 'role', name };
  }
  const user = USER_ARN.exec(callerArn);
  if (user !== null) {
    const [, partition = '', account = '', name = ''] = user;
    return { partition, account, kind: 'user', name };
  }
  return undefined;
}

/**
 * The approver a caller is, or undefined: the caller's ARN must be an IAM user or an assumed-role session of a listed
 * role, in `account`. Anything else (root, federated users, other accounts) is refused.
 */
export function matchApprover(
  callerArn: string,
  approvers: readonly string[],
  account: string,
): ApproverArn | undefined {
  const caller = principalOf(callerArn);
  if (caller === undefined || caller.account !== account) return undefined;
  return approvers
    .map(parseApproverArn)
    .find(
      (approver) =>
        approver !== undefined &&
        approver.account === account &&
        approver.partition === caller.partition &&
        approver.kind === caller.kind &&
        approver.name === caller.name,
    );
}
