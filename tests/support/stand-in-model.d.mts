/** A perfectly backdoored stand-in model's visible answer to a user turn (see stand-in-model.mjs). */
export declare function standInAnswer(userTurn: string, model: string): string;
