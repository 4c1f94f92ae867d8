// What the lab socket says of a step, one shape for the server that sends it and the pages that read it
// (types only: the pages' bundle takes nothing else from the server's side).
export interface StepView {
  id: string;
  title: string;
  explain: string;
  commands: { node: string; cmd: string }[];
  points: string[];
  prediction?: { question: string; choices: string[] };
  reveal?: { answer: number; why: string }; // once they have predicted
}
