import type { Sides } from '../shared/cutover-contracts';
import {
  type DeploymentEventDetail,
  type DeploymentEventType,
  type EventPhase,
  eventStamp,
} from '../shared/deployment-events';

/**
 * The orchestrator's events, pure: a phase it entered, and a traffic shift a re-read confirmed. Each returns the
 * publisher's arguments (`publish(...event)`), so the detail is checked against its schema where it is sent.
 */

type Event<T extends DeploymentEventType> = [T, DeploymentEventDetail<T>];

export function phaseChanged(
  deployment: string,
  phase: EventPhase,
  previousPhase: EventPhase | null,
  now: Date,
): Event<'Deployment Phase Changed'> {
  return ['Deployment Phase Changed', { ...eventStamp(deployment, now), phase, previousPhase }];
}

export interface ConfirmedShift {
  readonly sides: Sides;
  readonly from: number;
  readonly to: number;
  /** When ModifyListener was sent, and when a re-read showed the new weights. */
  readonly shiftedAt: string;
  readonly confirmedAt: string;
}

export function trafficShifted(deployment: string, shift: ConfirmedShift, now: Date): Event<'Traffic Shifted'> {
  const seconds = (Date.parse(shift.confirmedAt) - Date.parse(shift.shiftedAt)) / 1000;
  return [
    'Traffic Shifted',
    {
      ...eventStamp(deployment, now),
      fromGreenWeight: shift.from,
      toGreenWeight: shift.to,
      liveTargetGroupArn: shift.sides.live.targetGroupArn,
      greenTargetGroupArn: shift.sides.green.targetGroupArn,
      confirmedAt: shift.confirmedAt,
      secondsUntilEffective: Number.isFinite(seconds) && seconds >= 0 ? seconds : null,
    },
  ];
}
