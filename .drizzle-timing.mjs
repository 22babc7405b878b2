import { PgDialect } from "drizzle-orm/pg-core";
const orig = PgDialect.prototype.sqlToQuery;
const stats = new Map();
PgDialect.prototype.sqlToQuery = function (sql, invokeSource) {
  const t0 = performance.now();
  const q = orig.call(this, sql, invokeSource);
  const dt = performance.now() - t0;
  const key = q.sql.replace(/\s+/g, " ").slice(0, 90);
  const s = stats.get(key) ?? { n: 0, ms: 0, params: 0 };
  s.n++; s.ms += dt; s.params += q.params.length;
  stats.set(key, s);
  return q;
};
process.on("exit", () => {
  const rows = [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 40);
  let n = 0, ms = 0; for (const [, s] of stats) { n += s.n; ms += s.ms; }
  console.log(`\n[drizzle] ${n} queries built, ${ms.toFixed(0)} ms building`);
  for (const [k, s] of rows) console.log(`${s.n.toString().padStart(7)} ${s.ms.toFixed(0).padStart(6)} ms ${(s.params / s.n).toFixed(0).padStart(5)} params  ${k}`);
});
