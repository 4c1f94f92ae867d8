// The teacher's view of the class: every student, one student, exports; kick and reset. A student may
// read their own record, never another's.
import type { FastifyInstance } from 'fastify';
import { studentParams } from './api-schemas.js';
import { fail } from './app.js';
import type { Classroom } from './classroom.js';
import type { StudentView } from './context.js';

type IdP = { id: string };

// One CSV field, quoted when it must be, and never read as a formula by a spreadsheet.
function csvField(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

// The class as CSV: one row per student and step.
export function classCsv(students: StudentView[]): string {
  const rows = [['student', 'name', 'lab', 'step', 'passed', 'prediction', 'prediction_right', 'last_active']];
  for (const s of students)
    for (const st of s.steps.length ? s.steps : [undefined])
      rows.push([
        s.id,
        s.name,
        s.lab ?? '',
        st?.id ?? '',
        st ? (st.passed === null ? '' : String(st.passed)) : '',
        st?.prediction ? String(st.prediction.choice) : '',
        st?.prediction ? String(st.prediction.right) : '',
        s.lastActive,
      ]);
  return `${rows.map((r) => r.map(csvField).join(',')).join('\n')}\n`;
}

export function teacherRoutes(app: FastifyInstance, classroom: Classroom): void {
  const config = { access: 'teacher' as const };

  app.get('/api/class', { config }, async () => ({
    code: classroom.store.code,
    students: classroom.classView(),
    sandboxes: classroom.spawner.counts(),
  }));

  app.get('/api/class/export.csv', { config }, async (_req, reply) =>
    reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="class.csv"')
      .send(classCsv(classroom.classView())),
  );

  app.get('/api/class/export.json', { config }, async (_req, reply) =>
    reply
      .header('content-disposition', 'attachment; filename="class.json"')
      .send({ exportedAt: new Date().toISOString(), students: classroom.classView() }),
  );

  app.get('/api/students/:id', { config: { access: 'any' }, schema: { params: studentParams } }, async (req, reply) => {
    const { id } = req.params as IdP;
    if (req.who?.kind === 'student' && req.who.id !== id) return fail(reply, 403, "another student's record");
    return classroom.student(id) ?? fail(reply, 404, `no student ${id}`);
  });

  app.post('/api/students/:id/kick', { config, schema: { params: studentParams } }, async (req, reply) => {
    const { id } = req.params as IdP;
    if (!classroom.student(id)) return fail(reply, 404, `no student ${id}`);
    await classroom.kick(id);
    return { kicked: id };
  });

  app.post('/api/students/:id/reset', { config, schema: { params: studentParams } }, async (req, reply) => {
    const { id } = req.params as IdP;
    if (!classroom.student(id)) return fail(reply, 404, `no student ${id}`);
    await classroom.reset(id);
    return { reset: id };
  });
}
