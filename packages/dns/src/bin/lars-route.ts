// lars-route: to be written.
export {};
