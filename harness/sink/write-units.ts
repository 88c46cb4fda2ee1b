/**
 * The DynamoDB write request units a PutItem or BatchWriteItem consumes on an on-demand table: one
 * per item put for each 1 KB of the item (rounded up), item sizes computed as DynamoDB documents
 * them ("Item sizes and formats" in the DynamoDB developer guide). Pure: no I/O.
 */

/** An attribute value in DynamoDB's JSON wire format, e.g. {"S": "AAPL"} or {"N": "189.12"}. */
type AttributeValue = Record<string, unknown>;
type Item = Record<string, AttributeValue>;

const WRITE_UNIT_BYTES = 1024;
const utf8Length = (text: string) => Buffer.byteLength(text, "utf8");

/** A number's size: 1 byte per two significant digits, plus 1 (leading and trailing zeros do not count). */
function numberSize(text: string): number {
    const digits = text
        .replace(/^[+-]/, "")
        .replace(/[eE].*$/, "")
        .replace(".", "")
        .replace(/^0+/, "")
        .replace(/0+$/, "");
    return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/** The size of one attribute value, in bytes (its name not included). */
export function attributeValueSize(value: AttributeValue): number {
    const [type, content] = Object.entries(value)[0] ?? [];
    switch (type) {
        case "S":
            return utf8Length(content as string);
        case "N":
            return numberSize(content as string);
        case "B":
            return Buffer.from(content as string, "base64").length;
        case "BOOL":
        case "NULL":
            return 1;
        case "SS":
            return (content as string[]).reduce((sum, text) => sum + utf8Length(text), 0);
        case "NS":
            return (content as string[]).reduce((sum, text) => sum + numberSize(text), 0);
        case "BS":
            return (content as string[]).reduce((sum, data) => sum + Buffer.from(data, "base64").length, 0);
        case "L":
            // 3 bytes of overhead, and 1 per element.
            return 3 + (content as AttributeValue[]).reduce((sum, element) => sum + 1 + attributeValueSize(element), 0);
        case "M":
            return 3 + itemSize(content as Item) + Object.keys(content as Item).length;
        default:
            throw new Error(`not a DynamoDB attribute value: ${JSON.stringify(value)}`);
    }
}

/** An item's size: every attribute's name (UTF-8) and value. */
export function itemSize(item: Item): number {
    return Object.entries(item).reduce((sum, [name, value]) => sum + utf8Length(name) + attributeValueSize(value), 0);
}

export interface WriteUnits {
    /** Items put. */
    items: number;
    /** Write request units consumed: per item, its size in KB rounded up. */
    writeUnits: number;
}

/** What a PutItem or BatchWriteItem request body puts (deletes in a BatchWriteItem cost the same, 1 unit per KB, and are counted too). */
export function writeUnitsOf(operation: string, body: unknown): WriteUnits {
    const items: Item[] = [];
    if (operation === "PutItem") {
        items.push((body as { Item: Item }).Item);
    } else if (operation === "BatchWriteItem") {
        const tables = (
            body as { RequestItems: Record<string, { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]> }
        ).RequestItems;
        for (const writes of Object.values(tables))
            for (const write of writes) items.push(write.PutRequest?.Item ?? write.DeleteRequest!.Key);
    }
    return {
        items: items.length,
        writeUnits: items.reduce((sum, item) => sum + Math.max(1, Math.ceil(itemSize(item) / WRITE_UNIT_BYTES)), 0),
    };
}
