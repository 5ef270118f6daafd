/** The exit codes every command uses, as its --help states them (README: "Exit codes"). */
export const EXIT_CODES_HELP = `Exit codes: 0 done; 1 an invariant or environment failure (a violated check, a full disk, a write
error); 2 unusable input (a bad flag, config, file or manifest); 130/143 interrupted (SIGINT/SIGTERM).
`;
