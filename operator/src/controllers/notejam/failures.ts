// A step of a reconcile that failed, said so that a person reading `kubectl describe nj`
// knows what refused what: `MigrationJobRefusedByQuota`, `DeploymentInvalid`,
// `PodDisruptionBudgetForbidden`. The reconcile records it and carries on with the steps that do
// not depend on it; the status (Degraded), an Event and the log carry it.
import { ApiError } from '../../runtime/kube-client.js';

export interface StepFailure {
  /** CamelCase: what (the subject) and how it was refused. */
  reason: string;
  /** What the operator was doing, and what it was told. */
  message: string;
  /** Retrying the same request cannot succeed until the spec changes (an invalid object). */
  terminal: boolean;
}

/** How a request was refused, as the end of a reason (`<Subject><How>`). */
export type Refusal =
  | 'RefusedByQuota'
  | 'RefusedByAdmission'
  | 'Invalid'
  | 'Forbidden'
  | 'NotFound'
  | 'Conflict'
  | 'Unavailable'
  | 'Failed';

const quotaMessage = /exceeded quota/i;
/** How webhooks, ValidatingAdmissionPolicies and built-in admission plugins word a denial. */
const admissionMessage =
  /admission webhook|ValidatingAdmissionPolicy|denied (the )?request|admission plugin/i;

/** Reads an error of the API server (or of the way to it). */
export function refusalOf(err: unknown): { how: Refusal; detail: string; terminal: boolean } {
  if (!(err instanceof ApiError)) {
    return {
      how: 'Failed',
      detail: err instanceof Error ? err.message : String(err),
      terminal: false,
    };
  }
  const detail = `${err.statusCode} ${err.status.reason ?? ''}: ${err.status.message ?? ''}`
    .replace(/ :/, ':')
    .trim();
  const message = err.status.message ?? '';
  if (err.statusCode === 403 && quotaMessage.test(message))
    return { how: 'RefusedByQuota', detail, terminal: false };
  // A policy may change (or let a retry through), like a quota: come back with backoff.
  if (
    (err.statusCode === 400 || err.statusCode >= 403) &&
    err.statusCode < 500 &&
    admissionMessage.test(message)
  )
    return { how: 'RefusedByAdmission', detail, terminal: false };
  if (err.statusCode === 422 || err.statusCode === 400)
    return { how: 'Invalid', detail, terminal: true };
  if (err.statusCode === 403) return { how: 'Forbidden', detail, terminal: false };
  if (err.statusCode === 404) return { how: 'NotFound', detail, terminal: false };
  if (err.statusCode === 409) return { how: 'Conflict', detail, terminal: false };
  return { how: 'Unavailable', detail, terminal: false };
}

/** A failure of `doing` (e.g. `creating Job x-migrate-1a2b`) on `subject` (e.g. `MigrationJob`). */
export function stepFailure(subject: string, doing: string, err: unknown): StepFailure {
  const { how, detail, terminal } = refusalOf(err);
  return { reason: `${subject}${how}`, message: `${doing}: ${describe(how)}${detail}`, terminal };
}

function describe(how: Refusal): string {
  switch (how) {
    case 'RefusedByQuota':
      return 'refused by a ResourceQuota: ';
    case 'RefusedByAdmission':
      return 'refused by admission control: ';
    default:
      return '';
  }
}

/** An Error carrying every failure of one reconcile (the controller logs it and retries). */
export class ReconcileFailures extends Error {
  constructor(readonly failures: readonly StepFailure[]) {
    super(failures.map((failure) => `${failure.reason}: ${failure.message}`).join('; '));
    this.name = 'ReconcileFailures';
  }
}
