// The agent imports systeminformation's modules one by one (its index loads all of them, from
// audio to wifi, and each costs memory at run time); their types are the package's own.
declare module "systeminformation/lib/cpu.js" {
  export { cpu, currentLoad, cpuTemperature } from "systeminformation";
}
declare module "systeminformation/lib/memory.js" {
  export { mem } from "systeminformation";
}
declare module "systeminformation/lib/filesystem.js" {
  export { fsSize } from "systeminformation";
}
declare module "systeminformation/lib/network.js" {
  export { networkInterfaces, networkStats, networkConnections } from "systeminformation";
}
declare module "systeminformation/lib/osinfo.js" {
  export { osInfo, time } from "systeminformation";
}
declare module "systeminformation/lib/graphics.js" {
  export { graphics } from "systeminformation";
}
declare module "systeminformation/lib/system.js" {
  export { system } from "systeminformation";
}
declare module "systeminformation/lib/processes.js" {
  export { processes } from "systeminformation";
}
