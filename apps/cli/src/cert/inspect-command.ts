import { parseArgs } from 'node:util';
import { type CertificateInfo, CredentialsError, findCertificateProblems } from '@pushfleet/credentials';
import { type CertCommandIo, CertUsageError, passphraseFromEnv } from './cert-io.js';
import { type CredentialsInput, readCredentialsInput } from './read-credentials-input.js';

/**
 * `pushfleet cert inspect FILE [--key KEYFILE] [--passphrase-env VAR] [--environment ENV] [--topic T]... [--json]`:
 * print what the file holds. Exit 0 when no problem was found, 1 when one was (or the file cannot be read).
 */
export async function runInspect(args: string[], io: CertCommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      key: { type: 'string' },
      'passphrase-env': { type: 'string' },
      environment: { type: 'string' },
      topic: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const [file, ...extra] = positionals;
  if (file === undefined) throw new CertUsageError('inspect: FILE is missing');
  if (extra.length > 0) throw new CertUsageError(`inspect: one FILE only (also got ${extra.join(' ')})`);
  const environment = values.environment;
  if (environment !== undefined && environment !== 'production' && environment !== 'sandbox') {
    throw new CertUsageError(`--environment: "${environment}" is not production or sandbox`);
  }
  const passphrase = passphraseFromEnv(io, 'passphrase-env', values['passphrase-env']);
  const now = io.now?.() ?? new Date();

  let input: CredentialsInput;
  try {
    input = await readCredentialsInput(file, { keyFile: values.key, passphrase, now });
  } catch (error) {
    if (!(error instanceof CredentialsError)) throw error;
    if (values.json)
      io.stdout(`${JSON.stringify({ file, error: { code: error.code, message: error.message } })}\n`);
    else io.stderr(`pushfleet cert inspect: ${error.message}\n`);
    return 1;
  }

  if (input.kind === 'signing-key') {
    const report = {
      file,
      format: 'p8',
      kind: 'signing-key',
      keyType: 'EC P-256',
      keyId: input.keyId,
      problems: [],
    };
    io.stdout(values.json ? `${JSON.stringify(report)}\n` : describeSigningKey(file, input.keyId));
    return 0;
  }
  const problems = findCertificateProblems(input.info, {
    requireKey: false,
    now,
    ...(environment === undefined ? {} : { environment }),
    ...(values.topic === undefined ? {} : { topics: values.topic }),
  }).map((problem) => ({ code: problem.code, message: problem.message }));
  const { source: _source, ...info } = input.info;
  if (values.json) {
    io.stdout(`${JSON.stringify({ file, format: input.format, kind: 'certificate', ...info, problems })}\n`);
  } else {
    io.stdout(describeCertificate(file, input.format, input.info, problems));
  }
  return problems.length === 0 ? 0 : 1;
}

function describeCertificate(
  file: string,
  format: string,
  info: CertificateInfo,
  problems: readonly { message: string }[],
): string {
  const key = !info.keyPresent
    ? 'not in this file (give --key KEYFILE to check one)'
    : info.keyMatches
      ? 'present, matches the certificate'
      : 'present, DOES NOT match the certificate';
  const days = info.daysLeft < 0 ? `expired ${-info.daysLeft} days ago` : `${info.daysLeft} days left`;
  const rows: [string, string][] = [
    ['file', `${file} (${format})`],
    ['subject', info.subject.text || '(empty)'],
    ['bundle id', info.bundleId ?? '(none: no UID in the subject)'],
    ['team id', info.subject.teamId ?? '(none)'],
    ['topics', info.topics.join(', ') || '(none)'],
    ['environments', info.environments.join(', ') || '(none)'],
    ['push cert', info.isPushCertificate ? 'yes' : 'NO: no APNs environment extension'],
    ['issuer', info.issuer ?? '(no CN)'],
    ['valid', `${iso(info.notBefore)} to ${iso(info.notAfter)} (${days})`],
    ['private key', key],
    ['sha256', info.sha256],
  ];
  const lines = rows.map(([label, value]) => `${`${label}:`.padEnd(14)}${value}`);
  lines.push(problems.length === 0 ? `${'problems:'.padEnd(14)}none` : 'problems:');
  for (const problem of problems) lines.push(`  - ${problem.message}`);
  return `${lines.join('\n')}\n`;
}

function describeSigningKey(file: string, keyId: string | undefined): string {
  return [
    `${'file:'.padEnd(14)}${file} (p8)`,
    `${'kind:'.padEnd(14)}token-auth signing key, EC P-256 (certificate checks do not apply)`,
    `${'key id:'.padEnd(14)}${keyId ?? '(not in the file name; Apple names it AuthKey_<KEYID>.p8)'}`,
    '',
  ].join('\n');
}

function iso(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}
