// STATIC-FIXTURE-JS
export const answer = 42;
