/** Exact type equality (not mere assignability): `any`, optional and readonly differences count. */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Compiles only when given `true`: `type _ = Expect<Equal<Actual, Expected>>`. */
export type Expect<T extends true> = T;
