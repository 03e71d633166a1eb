using System.Collections.Frozen;

namespace Backprop.Data.Pickle;

/// <summary>
/// Pickle opcodes: the few <see cref="Unpickler"/> runs (those Python 2's cPickle writes for a tuple of numpy arrays)
/// and the names of all the others (protocols 0 to 5), so that an unexpected one can be named.
/// </summary>
internal static class PickleOpcodes
{
    public const byte Proto = 0x80;
    public const byte Stop = (byte)'.';
    public const byte Mark = (byte)'(';
    public const byte Global = (byte)'c';
    public const byte Reduce = (byte)'R';
    public const byte Build = (byte)'b';
    public const byte BinInt = (byte)'J';
    public const byte BinInt1 = (byte)'K';
    public const byte BinInt2 = (byte)'M';
    public const byte None = (byte)'N';
    public const byte NewTrue = 0x88;
    public const byte NewFalse = 0x89;
    public const byte BinString = (byte)'T';
    public const byte ShortBinString = (byte)'U';
    public const byte TupleFromMark = (byte)'t';
    public const byte EmptyTuple = (byte)')';
    public const byte Tuple1 = 0x85;
    public const byte Tuple2 = 0x86;
    public const byte Tuple3 = 0x87;
    public const byte BinPut = (byte)'q';
    public const byte LongBinPut = (byte)'r';
    public const byte BinGet = (byte)'h';
    public const byte LongBinGet = (byte)'j';

    private static readonly FrozenDictionary<byte, string> Names = new Dictionary<byte, string>
    {
        [(byte)'('] = "MARK", [(byte)'.'] = "STOP", [(byte)'0'] = "POP", [(byte)'1'] = "POP_MARK", [(byte)'2'] = "DUP",
        [(byte)'F'] = "FLOAT", [(byte)'I'] = "INT", [(byte)'J'] = "BININT", [(byte)'K'] = "BININT1", [(byte)'L'] = "LONG",
        [(byte)'M'] = "BININT2", [(byte)'N'] = "NONE", [(byte)'P'] = "PERSID", [(byte)'Q'] = "BINPERSID",
        [(byte)'R'] = "REDUCE", [(byte)'S'] = "STRING", [(byte)'T'] = "BINSTRING", [(byte)'U'] = "SHORT_BINSTRING",
        [(byte)'V'] = "UNICODE", [(byte)'X'] = "BINUNICODE", [(byte)'a'] = "APPEND", [(byte)'b'] = "BUILD",
        [(byte)'c'] = "GLOBAL", [(byte)'d'] = "DICT", [(byte)'}'] = "EMPTY_DICT", [(byte)'e'] = "APPENDS",
        [(byte)'g'] = "GET", [(byte)'h'] = "BINGET", [(byte)'i'] = "INST", [(byte)'j'] = "LONG_BINGET",
        [(byte)'l'] = "LIST", [(byte)']'] = "EMPTY_LIST", [(byte)'o'] = "OBJ", [(byte)'p'] = "PUT", [(byte)'q'] = "BINPUT",
        [(byte)'r'] = "LONG_BINPUT", [(byte)'s'] = "SETITEM", [(byte)'t'] = "TUPLE", [(byte)')'] = "EMPTY_TUPLE",
        [(byte)'u'] = "SETITEMS", [(byte)'G'] = "BINFLOAT", [(byte)'B'] = "BINBYTES", [(byte)'C'] = "SHORT_BINBYTES",
        [0x80] = "PROTO", [0x81] = "NEWOBJ", [0x82] = "EXT1", [0x83] = "EXT2", [0x84] = "EXT4", [0x85] = "TUPLE1",
        [0x86] = "TUPLE2", [0x87] = "TUPLE3", [0x88] = "NEWTRUE", [0x89] = "NEWFALSE", [0x8a] = "LONG1", [0x8b] = "LONG4",
        [0x8c] = "SHORT_BINUNICODE", [0x8d] = "BINUNICODE8", [0x8e] = "BINBYTES8", [0x8f] = "EMPTY_SET",
        [0x90] = "ADDITEMS", [0x91] = "FROZENSET", [0x92] = "NEWOBJ_EX", [0x93] = "STACK_GLOBAL", [0x94] = "MEMOIZE",
        [0x95] = "FRAME", [0x96] = "BYTEARRAY8", [0x97] = "NEXT_BUFFER", [0x98] = "READONLY_BUFFER",
    }.ToFrozenDictionary();

    /// <summary>The opcode as Python's <c>pickletools</c> shows it, e.g. <c>0x58 'X' (BINUNICODE)</c>.</summary>
    public static string Describe(byte opcode)
    {
        var glyph = opcode is >= 0x20 and < 0x7f ? $" '{(char)opcode}'" : "";
        return Names.TryGetValue(opcode, out var name) ? $"0x{opcode:x2}{glyph} ({name})" : $"0x{opcode:x2}{glyph} (not a pickle opcode)";
    }
}
