import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/**
 * Writes into `cwd`, with `openssl`: a CA (`ca.*`), an EC server certificate for
 * 127.0.0.1/localhost (`server.*`), a client certificate it issued (`client.*`),
 * a self-signed `rogue.crt`, and an RSA server certificate (`rsa-server.*`) for cipher tests.
 */
export async function makeCertificates(cwd: string): Promise<void> {
  const openssl = (...args: string[]) => execFileAsync("openssl", args, { cwd });
  for (const name of ["ca", "server", "client"]) {
    await openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`);
  }
  await openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=berth test CA", "-days", "1", "-out", "ca.crt");
  await writeFile(join(cwd, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  await writeFile(join(cwd, "client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const name of ["server", "client"]) {
    await openssl("req", "-new", "-key", `${name}.key`, "-subj", `/CN=berth test ${name}`, "-out", `${name}.csr`);
    await openssl(
      "x509",
      ...["-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1"],
      ...["-extfile", `${name}.ext`, "-out", `${name}.crt`],
    );
  }
  await openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa-server.key");
  await openssl("req", "-new", "-key", "rsa-server.key", "-subj", "/CN=berth test rsa", "-out", "rsa-server.csr");
  await openssl(
    "x509",
    ...["-req", "-in", "rsa-server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1"],
    ...["-extfile", "server.ext", "-out", "rsa-server.crt"],
  );
  // Same key, self-signed: a certificate the client CA did not issue.
  await openssl("req", "-x509", "-new", "-key", "client.key", "-subj", "/CN=rogue", "-days", "1", "-out", "rogue.crt");
}
