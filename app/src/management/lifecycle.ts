/** Process state the probes report: readiness turns off as soon as shutdown begins. */
export class Lifecycle {
  shuttingDown = false;
}
