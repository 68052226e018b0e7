// lars-reporter: to be written.
export {};
