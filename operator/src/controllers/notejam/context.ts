// What the builders need to know besides the instance: facts the reconciler observes.
export interface BuildContext {
  /** The image the pods run: the deployed one, which may lag spec.image until migrations succeed. */
  image: string;
  /** Whether the cluster serves monitoring.coreos.com/v1 ServiceMonitor. */
  serviceMonitorAvailable: boolean;
}
