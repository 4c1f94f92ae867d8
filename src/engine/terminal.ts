// What a front end needs to hand the terminal to a session's shell (see LabSession.shell).
export { redrawForeground, spawnOnTerminal, type TerminalExit } from '../sys/terminal.js';
