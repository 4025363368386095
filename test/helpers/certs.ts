// Throwaway certificates for TLS tests, made with the openssl command line in a directory the
// test owns: P-256 keys, valid one day.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Extended key usages a leaf certificate is made for. */
export type CertUse = 'server' | 'client' | 'both';

const USAGE: Record<CertUse, string> = {
  server: 'serverAuth',
  client: 'clientAuth',
  both: 'serverAuth,clientAuth',
};

export class CertMaker {
  constructor(private readonly dir: string) {}

  /** A self-signed CA: `<name>.pem` and `<name>.key`. */
  ca(name: string): void {
    this.openssl(
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ); // prettier-ignore
  }

  /** A leaf certificate signed by `ca` for `use`, with 127.0.0.1 and localhost as names. */
  leaf(name: string, ca: string, use: CertUse): { ca: string; cert: string; key: string } {
    const ext = `${name}.ext`;
    writeFileSync(
      join(this.dir, ext),
      `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=${USAGE[use]}\n` +
        'subjectAltName=IP:127.0.0.1,DNS:localhost\n',
    );
    this.openssl(
      'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`,
    ); // prettier-ignore
    this.openssl(
      'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial',
      '-days', '1', '-extfile', ext, '-out', `${name}.pem`,
    ); // prettier-ignore
    return {
      ca: join(this.dir, `${ca}.pem`),
      cert: join(this.dir, `${name}.pem`),
      key: join(this.dir, `${name}.key`),
    };
  }

  private openssl(...args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: 'pipe' });
  }
}
