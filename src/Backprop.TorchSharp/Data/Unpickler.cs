using System.Buffers.Binary;
using System.Collections.Frozen;
using System.Text;
using static Backprop.Data.PickleOpcodes;

namespace Backprop.Data;

/// <summary>
/// A pickle machine for exactly the protocol-2 opcodes of two kinds of file: Python 2's cPickle of tuples of numpy
/// arrays (the course's <c>mnist.pkl.gz</c>) and <c>torch.save</c>'s <c>data.pkl</c> of a state_dict. PROTO, GLOBAL,
/// REDUCE, BUILD, MARK, the TUPLEs, the BININTs, LONG1, NONE, NEWTRUE/NEWFALSE, BINSTRING/SHORT_BINSTRING,
/// BINUNICODE/SHORT_BINUNICODE, EMPTY_DICT, SETITEM(S), BINPERSID, the memo (BINPUT/LONG_BINPUT/BINGET/LONG_BINGET) and
/// STOP. Any other opcode is refused, naming it and its offset, and so is a pickle of more than <see cref="MaxOpcodes"/>.
/// </summary>
/// <remarks>
/// Python values become: int → <see cref="long"/>, bool → <see cref="bool"/>, None → <see langword="null"/>,
/// bytes (a Python 2 str) → <see cref="PickleString"/> (a slice of <paramref name="data"/>, never copied), str →
/// <see cref="string"/>, tuple → <c>object?[]</c>, dict → <see cref="PickleDict"/>, GLOBAL → <see cref="PickleGlobal"/>,
/// REDUCE → whatever <paramref name="reduce"/> makes, BINPERSID → whatever <paramref name="persistentLoad"/> makes. Every
/// length is checked against the bytes left, so nothing is allocated that the data does not hold.
/// </remarks>
/// <param name="data">The whole pickle (inflated).</param>
/// <param name="path">The file, for error messages.</param>
/// <param name="reduce">Calls a global with its arguments (REDUCE); throws <see cref="InvalidDataException"/> for any call it does not allow.</param>
/// <param name="expected">What the file should be, for the hints in errors.</param>
/// <param name="persistentLoad">Resolves a persistent id (BINPERSID, how <c>torch.save</c> refers to a storage); <see langword="null"/>
/// keeps to the opcodes of numpy's pickles, refusing strings, dicts, LONG1 and persistent ids.</param>
internal sealed class Unpickler(ReadOnlyMemory<byte> data, string path, Func<PickleGlobal, object?[], object> reduce,
    string expected = "the course's mnist.pkl.gz", Func<object?, object>? persistentLoad = null)
{
    private readonly FrozenSet<byte> _opcodes = persistentLoad is null ? NumpyOpcodes : StateDictOpcodes;

    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<uint, object?> _memo = [];
    private int _pos;
    private int _steps;

    /// <summary>
    /// The most opcodes a pickle may run: the course's file runs a few hundred (its arrays are single strings), and this
    /// bounds every object, tuple depth and memo slot the machine can build, whatever the bytes hold.
    /// </summary>
    public const int MaxOpcodes = 100_000;

    /// <summary>Runs the pickle to its STOP and returns the one object it leaves.</summary>
    /// <exception cref="DataFileException">An unexpected opcode, or opcodes that do not fit together; the message names the opcode and its offset.</exception>
    public object? Load()
    {
        while (true)
        {
            var at = _pos;
            var op = at < data.Length ? data.Span[at] : (byte)0;
            try
            {
                if (at >= data.Length) throw new InvalidDataException("the pickle ends before its STOP opcode; the file is truncated");
                if (at == 0 && op != Proto)
                    throw new InvalidDataException($"the file is not a pickle (it does not start with the PROTO opcode); {expected} is a protocol-2 pickle");
                if (++_steps > MaxOpcodes)
                    throw new InvalidDataException($"the pickle runs more than {MaxOpcodes:N0} opcodes; {expected} runs a few hundred");
                _pos++;
                if (Step(op)) return Single();
            }
            catch (InvalidDataException e)
            {
                var where = at < data.Length ? $"at {Describe(op)}, offset {at:N0} of the pickle" : $"at offset {at:N0} of the pickle";
                throw new DataFileException(path, $"{e.Message} ({where})", e);
            }
        }
    }

    /// <summary>Runs one opcode; true at STOP.</summary>
    private bool Step(byte op)
    {
        switch (_opcodes.Contains(op) ? op : (byte)0)
        {
            case Proto:
                var version = Byte();
                if (version != 2) throw new InvalidDataException($"pickle protocol {version}; {expected} is protocol 2");
                break;
            case Global: Push(new PickleGlobal(Line(), Line())); break;
            case BinInt: Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4).Span)); break;
            case BinInt1: Push((long)Byte()); break;
            case BinInt2: Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2).Span)); break;
            case Long1:
                var digits = Take(Byte()).Span; // little-endian two's complement
                if (digits.Length > 8) throw new InvalidDataException($"a LONG1 of {digits.Length} bytes, beyond any size or index a file of this kind holds");
                long value = digits.Length > 0 && (sbyte)digits[^1] < 0 ? -1 : 0;
                for (var i = digits.Length - 1; i >= 0; i--) value = (value << 8) | digits[i];
                Push(value);
                break;
            case BinUnicode: Push(Utf8(Take(checked((int)BinaryPrimitives.ReadUInt32LittleEndian(Take(4).Span))))); break;
            case ShortBinUnicode: Push(Utf8(Take(Byte()))); break;
            case EmptyDict: Push(new PickleDict()); break;
            case SetItem:
                var pair = Pop(2);
                Dict().Add(pair[0], pair[1]);
                break;
            case SetItems:
                if (!_marks.TryPop(out var itemsMark)) throw new InvalidDataException("SETITEMS without a MARK");
                var items = Pop(_stack.Count - itemsMark, above: itemsMark);
                if (items.Length % 2 != 0) throw new InvalidDataException("SETITEMS with a key and no value");
                var dict = Dict();
                for (var i = 0; i < items.Length; i += 2) dict.Add(items[i], items[i + 1]);
                break;
            case BinPersId: Push(persistentLoad!(Pop(1)[0])); break;
            case None: Push(null); break;
            case NewTrue: Push(true); break;
            case NewFalse: Push(false); break;
            case ShortBinString: Push(new PickleString(Take(Byte()))); break;
            case BinString:
                var length = BinaryPrimitives.ReadInt32LittleEndian(Take(4).Span);
                if (length < 0) throw new InvalidDataException($"a BINSTRING of negative length {length}");
                Push(new PickleString(Take(length)));
                break;
            case Mark: _marks.Push(_stack.Count); break;
            case TupleFromMark:
                if (!_marks.TryPop(out var mark)) throw new InvalidDataException("TUPLE without a MARK");
                Push(Pop(_stack.Count - mark));
                break;
            case EmptyTuple: Push(Array.Empty<object?>()); break;
            case Tuple1: Push(Pop(1)); break;
            case Tuple2: Push(Pop(2)); break;
            case Tuple3: Push(Pop(3)); break;
            case BinPut: _memo[Byte()] = Top(); break;
            case LongBinPut: _memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4).Span)] = Top(); break;
            case BinGet: Push(Memo(Byte())); break;
            case LongBinGet: Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4).Span))); break;
            case Reduce:
                var args = Pop(1)[0] as object?[] ?? throw new InvalidDataException("REDUCE's arguments are not a tuple");
                var callable = Pop(1)[0] as PickleGlobal ?? throw new InvalidDataException("REDUCE calls something that is not a GLOBAL");
                Push(reduce(callable, args));
                break;
            case Build:
                var state = Pop(1)[0];
                var target = Top() as IPickleBuildable ?? throw new InvalidDataException($"BUILD on {Show(Top())}, which takes no state");
                target.SetState(state);
                break;
            case Stop:
                return true;
            default:
                throw new InvalidDataException(
                    $"unexpected pickle opcode; {expected} never uses it — is this that file?");
        }
        return false;
    }

    private object? Single()
    {
        if (_stack.Count != 1 || _marks.Count != 0)
            throw new InvalidDataException($"STOP leaves {_stack.Count} objects and {_marks.Count} open MARKs; a pickle leaves exactly one object");
        return _stack[0];
    }

    private void Push(object? value) => _stack.Add(value);

    private object? Top() => _stack.Count > 0 ? _stack[^1] : throw new InvalidDataException("the stack is empty");

    private PickleDict Dict() => Top() as PickleDict ?? throw new InvalidDataException($"SETITEM on {Show(Top())}, which is not a dict");

    private static string Utf8(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.Span);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException("a BINUNICODE string that is not UTF-8", e);
        }
    }

    /// <summary>Pops the top <paramref name="count"/> objects, in stack order, as a tuple.</summary>
    private object?[] Pop(int count, int? above = null)
    {
        var floor = above ?? (_marks.TryPeek(out var mark) ? mark : 0);
        if (count > _stack.Count - floor)
            throw new InvalidDataException($"needs {count} stack items but finds {_stack.Count - floor}{(_marks.Count > 0 ? " above the last MARK" : "")}");
        var items = _stack.GetRange(_stack.Count - count, count).ToArray();
        _stack.RemoveRange(_stack.Count - count, count);
        return items;
    }

    private object? Memo(uint key) =>
        _memo.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"memo slot {key} is read before it is written");

    private byte Byte() => Take(1).Span[0];

    private ReadOnlyMemory<byte> Take(int count)
    {
        if (count > data.Length - _pos)
            throw new InvalidDataException($"the opcode needs {count:N0} bytes but only {data.Length - _pos:N0} are left; the file is truncated");
        var slice = data.Slice(_pos, count);
        _pos += count;
        return slice;
    }

    /// <summary>One newline-terminated ASCII line of a GLOBAL (a module or a name).</summary>
    private string Line()
    {
        const int longest = 256;
        var rest = data.Span[_pos..];
        var end = rest[..Math.Min(rest.Length, longest)].IndexOf((byte)'\n');
        if (end < 0) throw new InvalidDataException($"a GLOBAL name without its newline in the next {longest} bytes");
        var line = rest[..end];
        if (line.ContainsAnyExceptInRange((byte)0x21, (byte)0x7e)) throw new InvalidDataException("a GLOBAL name that is not printable ASCII");
        _pos += end + 1;
        return Encoding.ASCII.GetString(line);
    }

    private static string Show(object? value) => value switch
    {
        null => "None",
        object?[] t => $"a {t.Length}-tuple",
        _ => value.ToString() ?? value.GetType().Name,
    };
}

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
    public const byte Long1 = 0x8a;
    public const byte BinUnicode = (byte)'X';
    public const byte ShortBinUnicode = 0x8c;
    public const byte EmptyDict = (byte)'}';
    public const byte SetItem = (byte)'s';
    public const byte SetItems = (byte)'u';
    public const byte BinPersId = (byte)'Q';

    /// <summary>What Python 2's cPickle writes for tuples of numpy arrays (the course's <c>mnist.pkl.gz</c>).</summary>
    public static readonly FrozenSet<byte> NumpyOpcodes = new[]
    {
        Proto, Stop, Mark, Global, Reduce, Build, BinInt, BinInt1, BinInt2, None, NewTrue, NewFalse, BinString, ShortBinString,
        TupleFromMark, EmptyTuple, Tuple1, Tuple2, Tuple3, BinPut, LongBinPut, BinGet, LongBinGet,
    }.ToFrozenSet();

    /// <summary>What <c>torch.save</c> writes for a state_dict (protocol 2): those, plus str, dicts, LONG1 and persistent ids (its storages).</summary>
    public static readonly FrozenSet<byte> StateDictOpcodes = NumpyOpcodes.Union([Long1, BinUnicode, ShortBinUnicode, EmptyDict, SetItem, SetItems, BinPersId]).ToFrozenSet();

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

/// <summary>A reference to a Python object by module and name, as the GLOBAL opcode pushes it (e.g. <c>numpy dtype</c>).</summary>
/// <param name="Module">The module, e.g. <c>numpy.core.multiarray</c>.</param>
/// <param name="Name">The name in the module, e.g. <c>_reconstruct</c>.</param>
internal sealed record PickleGlobal(string Module, string Name)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>A Python 2 <c>str</c> (bytes) from BINSTRING or SHORT_BINSTRING: a slice of the pickle, not a copy.</summary>
/// <param name="Bytes">The string's bytes.</param>
internal sealed record PickleString(ReadOnlyMemory<byte> Bytes)
{
    /// <summary>The bytes as Latin-1 text, which is how Python 3 reads Python 2 strings with <c>encoding='latin-1'</c>.</summary>
    public string Text => Encoding.Latin1.GetString(Bytes.Span);

    /// <inheritdoc/>
    public override string ToString() => Bytes.Length <= 16 ? $"'{Text}'" : $"<{Bytes.Length:N0} bytes>";
}

/// <summary>
/// A Python dict (EMPTY_DICT, or an <c>OrderedDict</c> a reader's REDUCE makes), its items in insertion order. Its BUILD
/// state (an <c>OrderedDict</c>'s <c>__dict__</c>, such as a state_dict's <c>_metadata</c>) is kept, not interpreted.
/// </summary>
internal sealed class PickleDict : IPickleBuildable
{
    private static readonly object NoneKey = new();
    private readonly List<KeyValuePair<object?, object?>> _items = [];
    private readonly Dictionary<object, int> _index = [];

    /// <summary>The items, in the order they were set (a key set twice keeps its first place and its last value, as in Python).</summary>
    public IReadOnlyList<KeyValuePair<object?, object?>> Items => _items;

    /// <summary>What BUILD gave it, if anything.</summary>
    public object? State { get; private set; }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>.</summary>
    public void Add(object? key, object? value)
    {
        if (_index.TryGetValue(key ?? NoneKey, out var at))
        {
            _items[at] = new(key, value);
            return;
        }
        _index[key ?? NoneKey] = _items.Count;
        _items.Add(new(key, value));
    }

    /// <inheritdoc/>
    public void SetState(object? state) => State = state;

    /// <inheritdoc/>
    public override string ToString() => $"a dict of {_items.Count} items";
}

/// <summary>An object made by REDUCE that the BUILD opcode then fills in (Python's <c>__setstate__</c>).</summary>
internal interface IPickleBuildable
{
    /// <summary>Applies the state BUILD pops.</summary>
    /// <exception cref="InvalidDataException">The state is not what this object takes.</exception>
    void SetState(object? state);
}
