// Preloaded with `node -r` (or NODE_OPTIONS=--require): moves this process's clock forward by
// CLOCK_OFFSET_MS, as if the process ran that much later. Lets a test age a stream's records past
// its retention without waiting a day: kinesalite trims by the time in the sequence numbers.
"use strict";
const offset = Number(process.env.CLOCK_OFFSET_MS || 0);
if (offset) {
    const RealDate = Date;
    class ShiftedDate extends RealDate {
        constructor(...args) {
            if (args.length === 0) super(RealDate.now() + offset);
            else super(...args);
        }
        static now() {
            return RealDate.now() + offset;
        }
    }
    globalThis.Date = ShiftedDate;
}
