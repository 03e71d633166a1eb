using System.Buffers.Binary;
using System.Text;
using static Backprop.Data.Pickle.PickleOpcodes;

namespace Backprop.Data.Pickle;

/// <summary>
/// A pickle machine for exactly the opcodes Python 2's cPickle writes (protocol 2) for tuples of numpy arrays: PROTO,
/// GLOBAL, REDUCE, BUILD, MARK, the TUPLEs, the BININTs, NONE, NEWTRUE/NEWFALSE, BINSTRING/SHORT_BINSTRING, the memo
/// (BINPUT/LONG_BINPUT/BINGET/LONG_BINGET) and STOP. Any other opcode is refused, naming it and its offset.
/// </summary>
/// <remarks>
/// Python values become: int → <see cref="long"/>, bool → <see cref="bool"/>, None → <see langword="null"/>,
/// str → <see cref="PickleString"/> (a slice of <paramref name="data"/>, never copied), tuple → <c>object?[]</c>,
/// GLOBAL → <see cref="PickleGlobal"/>, REDUCE → whatever <paramref name="reduce"/> makes. Every length is checked
/// against the bytes left, so nothing is allocated that the data does not hold.
/// </remarks>
/// <param name="data">The whole pickle (inflated).</param>
/// <param name="path">The file, for error messages.</param>
/// <param name="reduce">Calls a global with its arguments (REDUCE); throws <see cref="InvalidDataException"/> for any call it does not allow.</param>
internal sealed class Unpickler(ReadOnlyMemory<byte> data, string path, Func<PickleGlobal, object?[], object> reduce)
{
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<uint, object?> _memo = [];
    private int _pos;

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
        switch (op)
        {
            case Proto:
                var version = Byte();
                if (version != 2) throw new InvalidDataException($"pickle protocol {version}; the course's mnist.pkl.gz is protocol 2 (Python 2's cPickle)");
                break;
            case Global: Push(new PickleGlobal(Line(), Line())); break;
            case BinInt: Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4).Span)); break;
            case BinInt1: Push((long)Byte()); break;
            case BinInt2: Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2).Span)); break;
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
                    "unexpected pickle opcode; the course's mnist.pkl.gz uses only the opcodes Python 2's cPickle writes for numpy arrays — is this that file?");
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

    /// <summary>Pops the top <paramref name="count"/> objects, in stack order, as a tuple.</summary>
    private object?[] Pop(int count)
    {
        var floor = _marks.TryPeek(out var mark) ? mark : 0;
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
