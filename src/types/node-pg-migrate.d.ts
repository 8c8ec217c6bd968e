// node-pg-migrate publishes its types only behind package "exports", which the node10 module
// resolution of this CommonJS project does not read; this points the compiler at them.
declare module 'node-pg-migrate' {
  export * from 'node-pg-migrate/dist/bundle/index';
}
