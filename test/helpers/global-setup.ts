// Says once which storage and state the run uses, since CI must use the real services.
export default function setup(): void {
  const db = process.env.DATABASE_URL ? `PostgreSQL (${redact(process.env.DATABASE_URL)})` : 'embedded PGlite (DATABASE_URL not set)';
  const redis = process.env.REDIS_URL ? `Redis (${redact(process.env.REDIS_URL)})` : 'in-process state (REDIS_URL not set)';
  process.stdout.write(`\n[test setup] storage: ${db}; shared state: ${redis}\n`);
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}
