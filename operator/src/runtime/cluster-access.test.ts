// Which credentials the operator finds, from files written here (the integration suites
// connect through the same loader to the real API server: test/delivery/entrypoints.test.ts).
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterAccessError, type HttpsOptions, loadClusterAccess } from './cluster-access.js';

const root = mkdtempSync(join(tmpdir(), 'notejam-cluster-access-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const scratch = () => mkdtempSync(join(root, 'case-'));
const noHome = () => scratch(); // a home without ~/.kube/config

function kubeconfig(dir: string, user: string, cluster = 'server: "https://10.0.0.1:6443"') {
  const file = join(dir, 'config');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{ name: c, cluster: { ${cluster} } }]`,
      `users: [{ name: u, user: { ${user} } }]`,
      'contexts: [{ name: other, context: { cluster: nope, user: u } }, { name: x, context: { cluster: c, user: u } }]',
      'current-context: x',
    ].join('\n'),
  );
  return file;
}

async function optionsOf(access: { applyToHTTPSOptions(o: HttpsOptions): Promise<void> }) {
  const options: HttpsOptions = {};
  await access.applyToHTTPSOptions(options);
  return options;
}

describe('loadClusterAccess', () => {
  it('refuses to start without any Kubernetes credentials, naming KUBECONFIG', async () => {
    await expect(loadClusterAccess({ env: {}, home: noHome() })).rejects.toThrow(
      /^KUBECONFIG: no Kubernetes credentials/,
    );
  });

  it('reads the current context of the file KUBECONFIG names: server, token, CA, client certificate', async () => {
    const dir = scratch();
    const file = kubeconfig(
      dir,
      `token: t0k3n, client-certificate-data: ${Buffer.from('CERT').toString('base64')}, client-key: keys/client.key`,
      `server: "https://10.0.0.1:6443", certificate-authority-data: ${Buffer.from('CA').toString('base64')}, tls-server-name: api.internal`,
    );
    mkdirSync(join(dir, 'keys'));
    writeFileSync(join(dir, 'keys', 'client.key'), 'KEY'); // relative to the kubeconfig
    const access = await loadClusterAccess({ env: { KUBECONFIG: file }, home: noHome() });
    expect(access).not.toBeInstanceOf(KubeConfig);
    expect(access.getCurrentCluster()?.server).toBe('https://10.0.0.1:6443');
    const options = await optionsOf(access);
    expect(options.headers).toEqual({ Authorization: 'Bearer t0k3n' });
    expect(options.ca?.toString()).toBe('CA');
    expect(options.cert?.toString()).toBe('CERT');
    expect(options.key?.toString()).toBe('KEY');
    expect(options.servername).toBe('api.internal');
    expect(options.rejectUnauthorized).toBeUndefined();
  });

  it('falls back to ~/.kube/config, with basic auth and insecure-skip-tls-verify', async () => {
    const home = scratch();
    mkdirSync(join(home, '.kube'));
    kubeconfig(
      join(home, '.kube'),
      'username: admin, password: secret',
      'server: "https://h:6443", insecure-skip-tls-verify: true',
    );
    const access = await loadClusterAccess({ env: {}, home });
    const options = await optionsOf(access);
    expect(options.headers).toEqual({
      Authorization: `Basic ${Buffer.from('admin:secret').toString('base64')}`,
    });
    expect(options.rejectUnauthorized).toBe(false);
  });

  it("uses the pod's service account, re-reading its token once a minute as the kubelet rotates it", async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'token'), 'first\n');
    writeFileSync(join(dir, 'ca.crt'), 'CLUSTER CA');
    let now = 1_000_000;
    const access = await loadClusterAccess({
      env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
      home: noHome(),
      serviceAccount: dir,
      now: () => now,
    });
    expect(access.getCurrentCluster()?.server).toBe('https://[fd00::1]:443');
    expect((await optionsOf(access)).headers).toEqual({ Authorization: 'Bearer first' });
    expect((await optionsOf(access)).ca?.toString()).toBe('CLUSTER CA');
    writeFileSync(join(dir, 'token'), 'rotated');
    now += 59_000;
    expect((await optionsOf(access)).headers).toEqual({ Authorization: 'Bearer first' });
    now += 1_000;
    expect((await optionsOf(access)).headers).toEqual({ Authorization: 'Bearer rotated' });
  });

  it('says which file is wrong: no current context, no server, not YAML', async () => {
    const dir = scratch();
    const file = join(dir, 'config');
    const load = () => loadClusterAccess({ env: { KUBECONFIG: file }, home: noHome() });
    writeFileSync(file, 'apiVersion: v1\nkind: Config\n');
    await expect(load()).rejects.toThrow(new ClusterAccessError(file, 'no context named ""'));
    kubeconfig(dir, 'token: t', 'insecure-skip-tls-verify: true');
    await expect(load()).rejects.toThrow(`${file}: context x: no cluster with a server`);
    writeFileSync(file, 'clusters: [');
    await expect(load()).rejects.toThrow(`${file}: cannot read the kubeconfig`);
    await expect(
      loadClusterAccess({
        env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' },
        home: noHome(),
        serviceAccount: dir,
      }),
    ).rejects.toThrow('the service account token is not mounted');
  });

  it("hands exec plugins and auth providers to client-node's KubeConfig", async () => {
    const dir = scratch();
    const file = kubeconfig(
      dir,
      'exec: { apiVersion: client.authentication.k8s.io/v1, command: true }',
    );
    const before = process.env.KUBECONFIG;
    process.env.KUBECONFIG = file; // client-node reads it from the process
    try {
      const access = await loadClusterAccess({ env: { KUBECONFIG: file }, home: noHome() });
      expect(access).toBeInstanceOf(KubeConfig);
      expect(access.getCurrentCluster()?.server).toBe('https://10.0.0.1:6443');
    } finally {
      if (before === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = before;
    }
  });
});
