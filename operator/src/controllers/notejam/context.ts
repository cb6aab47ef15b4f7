// What the builders need to know besides the instance: facts the reconciler observes.
export interface BuildContext {
  /** The image the pods run: the deployed one, which may lag spec.image until migrations succeed. */
  image: string;
  /**
   * The revision that image runs as (revision.ts), annotated on the pod template; absent
   * for a Deployment an operator version before revisions wrote, until its first revision.
   */
  revision?: string;
  /** Whether the cluster serves monitoring.coreos.com/v1 ServiceMonitor. */
  serviceMonitorAvailable: boolean;
  /** Hash of the referenced database Secret's values (MySQL): a change rolls the pods. */
  databaseSecretHash?: string;
  /**
   * The pods answer a maintenance page instead of serving (the app's `maintenance`
   * command): while a dev database on MySQL is dropped and recreated.
   */
  maintenance?: boolean;
}
