// The class's state in SQLite (better-sqlite3), under the data folder: the class code and teacher's
// token, the students (a token's hash, never the token), each step's last check and each prediction.
// Nothing that matters lives only in memory, so a restarted server (or another replica) carries on.
import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { newCode, newToken, sameHash, tokenHash } from './tokens.js';

export interface StudentRow {
  id: string;
  name: string;
  joinedAt: string;
  lastActive: string;
  lab: string | null;
  step: string | null;
  kicked: boolean;
}

export interface CheckRow {
  lab: string;
  step: string;
  passed: boolean; // the last check's verdict
  everPassed: boolean; // passed at least once: replayed when the sandbox is rebuilt
  at: string;
}

export interface PredictionRow {
  lab: string;
  step: string;
  choice: number;
  right: boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS students (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, token_hash BLOB NOT NULL UNIQUE,
  joined_at TEXT NOT NULL, last_active TEXT NOT NULL, lab TEXT, step TEXT, kicked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS checks (
  student TEXT NOT NULL, lab TEXT NOT NULL, step TEXT NOT NULL, passed INTEGER NOT NULL,
  ever_passed INTEGER NOT NULL, at TEXT NOT NULL, PRIMARY KEY (student, lab, step));
CREATE TABLE IF NOT EXISTS predictions (
  student TEXT NOT NULL, lab TEXT NOT NULL, step TEXT NOT NULL, choice INTEGER NOT NULL,
  right INTEGER NOT NULL, at TEXT NOT NULL, PRIMARY KEY (student, lab, step));
`;

interface RawStudent {
  id: string;
  name: string;
  joined_at: string;
  last_active: string;
  lab: string | null;
  step: string | null;
  kicked: number;
}

const toStudent = (r: RawStudent): StudentRow => ({
  id: r.id,
  name: r.name,
  joinedAt: r.joined_at,
  lastActive: r.last_active,
  lab: r.lab,
  step: r.step,
  kicked: r.kicked !== 0,
});

export class ClassStore {
  private readonly db: Database.Database;
  readonly code: string;
  readonly teacherToken: string;

  // Opens (or creates) the class in DIR/class.sqlite; the folder is private to this user.
  constructor(dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const file = join(dir, 'class.sqlite');
    this.db = new Database(file);
    chmodSync(file, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.code = this.meta('code', newCode);
    this.teacherToken = this.meta('teacher_token', newToken); // the teacher's address must survive a restart
  }

  // A stored setting, made and kept on first use.
  private meta(key: string, make: () => string): string {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    if (row) return row.value;
    const value = make();
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(key, value);
    return value;
  }

  // Students still in the class (not kicked).
  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM students WHERE kicked = 0').get() as { n: number }).n;
  }

  // Adds a student with a token's hash; the id is random, not a secret.
  addStudent(id: string, name: string, token: string): StudentRow {
    const now = new Date().toISOString();
    this.db
      .prepare('INSERT INTO students (id, name, token_hash, joined_at, last_active) VALUES (?, ?, ?, ?, ?)')
      .run(id, name, tokenHash(token), now, now);
    return { id, name, joinedAt: now, lastActive: now, lab: null, step: null, kicked: false };
  }

  // The student a token belongs to (not kicked), compared in constant time after the indexed lookup.
  studentByToken(token: string): StudentRow | undefined {
    const hash = tokenHash(token);
    const r = this.db.prepare('SELECT * FROM students WHERE token_hash = ? AND kicked = 0').get(hash) as
      (RawStudent & { token_hash: Buffer }) | undefined;
    return r && sameHash(r.token_hash, hash) ? toStudent(r) : undefined;
  }

  student(id: string): StudentRow | undefined {
    const r = this.db.prepare('SELECT * FROM students WHERE id = ?').get(id) as RawStudent | undefined;
    return r ? toStudent(r) : undefined;
  }

  students(): StudentRow[] {
    return (this.db.prepare('SELECT * FROM students WHERE kicked = 0 ORDER BY joined_at').all() as RawStudent[]).map(
      toStudent,
    );
  }

  // Where the student is and that they did something now.
  touch(id: string, where: { lab?: string; step?: string } = {}): void {
    const now = new Date().toISOString();
    // Another lab than before starts with no step (its own first); the same lab keeps the step unless told.
    if (where.lab !== undefined)
      this.db
        .prepare(
          'UPDATE students SET last_active = ?, step = CASE WHEN lab IS ? THEN coalesce(?, step) ELSE ? END, lab = ? WHERE id = ?',
        )
        .run(now, where.lab, where.step ?? null, where.step ?? null, where.lab, id);
    else this.db.prepare('UPDATE students SET last_active = ? WHERE id = ?').run(now, id);
  }

  kick(id: string): void {
    this.db.prepare('UPDATE students SET kicked = 1 WHERE id = ?').run(id);
  }

  // Records a check's verdict; a pass once made is remembered for replays.
  recordCheck(id: string, lab: string, step: string, passed: boolean): void {
    this.db
      .prepare(
        `INSERT INTO checks (student, lab, step, passed, ever_passed, at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (student, lab, step) DO UPDATE SET passed = excluded.passed,
           ever_passed = max(ever_passed, excluded.ever_passed), at = excluded.at`,
      )
      .run(id, lab, step, passed ? 1 : 0, passed ? 1 : 0, new Date().toISOString());
  }

  checks(id: string, lab?: string): CheckRow[] {
    const rows = this.db
      .prepare('SELECT * FROM checks WHERE student = ? AND (? IS NULL OR lab = ?)')
      .all(id, lab ?? null, lab ?? null) as {
      lab: string;
      step: string;
      passed: number;
      ever_passed: number;
      at: string;
    }[];
    return rows.map((r) => ({
      lab: r.lab,
      step: r.step,
      passed: r.passed !== 0,
      everPassed: r.ever_passed !== 0,
      at: r.at,
    }));
  }

  // A prediction, kept the moment it is made; the first answer stands.
  recordPrediction(id: string, lab: string, step: string, choice: number, right: boolean): void {
    this.db
      .prepare('INSERT OR IGNORE INTO predictions (student, lab, step, choice, right, at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, lab, step, choice, right ? 1 : 0, new Date().toISOString());
  }

  predictions(id: string): PredictionRow[] {
    const rows = this.db.prepare('SELECT lab, step, choice, right FROM predictions WHERE student = ?').all(id) as {
      lab: string;
      step: string;
      choice: number;
      right: number;
    }[];
    return rows.map((r) => ({ ...r, right: r.right !== 0 }));
  }

  close(): void {
    this.db.close();
  }
}
