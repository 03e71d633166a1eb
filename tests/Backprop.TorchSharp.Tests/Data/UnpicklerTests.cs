using Backprop.Data;

namespace Backprop.Tests.Data;

public sealed class UnpicklerTests
{
    private static object? Load(params byte[] pickle) =>
        new Unpickler(pickle, "test.pkl", (g, _) => throw new InvalidDataException($"no calls here ({g})")).Load();

    [Fact]
    public void Reads_ints_of_every_width_none_and_bools()
    {
        // PROTO 2, MARK, BININT1 7, BININT2 65535, BININT -2, NONE, NEWTRUE, NEWFALSE, EMPTY_TUPLE, TUPLE, STOP
        var t = Assert.IsType<object?[]>(Load(0x80, 2, (byte)'(', (byte)'K', 7, (byte)'M', 0xff, 0xff, (byte)'J', 0xfe, 0xff, 0xff, 0xff,
            (byte)'N', 0x88, 0x89, (byte)')', (byte)'t', (byte)'.'));

        Assert.Equal([7L, 65535L, -2L, null, true, false, Array.Empty<object?>()], t);
    }

    [Fact]
    public void Strings_are_slices_of_the_pickle()
    {
        // SHORT_BINSTRING 'ab', BINSTRING 'xyz', TUPLE2, STOP
        var t = Assert.IsType<object?[]>(Load(0x80, 2, (byte)'U', 2, (byte)'a', (byte)'b', (byte)'T', 3, 0, 0, 0, (byte)'x', (byte)'y', (byte)'z', 0x86, (byte)'.'));

        Assert.Equal(["ab", "xyz"], t.Cast<PickleString>().Select(s => s.Text));
    }

    [Fact]
    public void The_memo_returns_the_same_object_by_short_and_long_index()
    {
        // EMPTY_TUPLE, BINPUT 0, BINGET 0, LONG_BINPUT 300, LONG_BINGET 300, TUPLE3, STOP
        var t = Assert.IsType<object?[]>(Load(0x80, 2, (byte)')', (byte)'q', 0, (byte)'h', 0, (byte)'r', 44, 1, 0, 0, (byte)'j', 44, 1, 0, 0, 0x87, (byte)'.'));

        Assert.Equal(3, t.Length);
        Assert.Same(t[0], t[1]);
        Assert.Same(t[0], t[2]);
    }

    [Fact]
    public void Reduce_and_build_go_through_the_callers_factory()
    {
        var made = new List<(PickleGlobal, object?[])>();
        var state = new Buildable();
        // GLOBAL 'm f', BININT1 1, TUPLE1, REDUCE, BININT1 9, BUILD, STOP
        byte[] pickle = [0x80, 2, .. "cm\nf\n"u8, (byte)'K', 1, 0x85, (byte)'R', (byte)'K', 9, (byte)'b', (byte)'.'];

        var result = new Unpickler(pickle, "test.pkl", (g, a) => { made.Add((g, a)); return state; }).Load();

        Assert.Same(state, result);
        var (global, args) = Assert.Single(made);
        Assert.Equal(new PickleGlobal("m", "f"), global);
        Assert.Equal([1L], args);
        Assert.Equal(9L, state.State);
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 2, (byte)']', (byte)'.' }, "unexpected pickle opcode", "at 0x5d ']' (EMPTY_LIST), offset 2")]
    [InlineData(new byte[] { 0x80, 3, (byte)'.' }, "pickle protocol 3", "at 0x80 (PROTO), offset 0")]
    [InlineData(new byte[] { 0x80, 2, (byte)'T', 0, 0, 0, 0x40, 1, (byte)'.' }, "needs 1,073,741,824 bytes but only 2 are left", "offset 2")]
    [InlineData(new byte[] { 0x80, 2, (byte)'T', 0, 0, 0, 0x80, (byte)'.' }, "BINSTRING of negative length", "offset 2")]
    [InlineData(new byte[] { 0x80, 2, (byte)'h', 3, (byte)'.' }, "memo slot 3 is read before it is written", "(BINGET), offset 2")]
    [InlineData(new byte[] { 0x80, 2, (byte)'K', 1 }, "ends before its STOP opcode", "offset 4")]
    [InlineData(new byte[] { 0x80, 2, (byte)'K', 1, (byte)'K', 2, (byte)'.' }, "STOP leaves 2 objects", "offset 6")]
    [InlineData(new byte[] { 0x80, 2, (byte)'K', 1, (byte)'(', 0x85, (byte)'.' }, "needs 1 stack items but finds 0 above the last MARK", "(TUPLE1), offset 5")]
    [InlineData(new byte[] { 0x80, 2, (byte)'t', (byte)'.' }, "TUPLE without a MARK", "offset 2")]
    [InlineData(new byte[] { 0x80, 2, (byte)'K', 1, (byte)'b', (byte)'.' }, "the stack is empty", "(BUILD), offset 4")]
    [InlineData(new byte[] { 0x80, 2, (byte)'R', (byte)'.' }, "needs 1 stack items but finds 0", "(REDUCE), offset 2")]
    [InlineData(new byte[] { 0x80, 2, (byte)'c', (byte)'o', (byte)'s', (byte)'.' }, "GLOBAL name without its newline", "offset 2")]
    [InlineData(new byte[] { 0x00 }, "does not start with the PROTO opcode", "at 0x00 (not a pickle opcode), offset 0")]
    [InlineData(new byte[] { (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o' }, "the file is not a pickle", "offset 0")]
    public void Refuses_what_a_numpy_pickle_never_holds_naming_opcode_and_offset(byte[] pickle, string problem, string where)
    {
        var e = Assert.Throws<DataFileException>(() => Load(pickle));

        Assert.Equal("test.pkl", e.File);
        Assert.Contains(problem, e.Message);
        Assert.Contains(where, e.Message);
    }

    [Fact]
    public void A_pickle_that_would_build_millions_of_objects_is_refused_at_the_opcode_bound()
    {
        // 522 KB of gzip'ed EMPTY_TUPLEs once drove the process to 9 GB; nested TUPLE1s to 2.4 GB.
        byte[] flat = [0x80, 2, .. Enumerable.Repeat((byte)')', 5_000_000), (byte)'.'];
        byte[] nested = [0x80, 2, (byte)')', .. Enumerable.Repeat((byte)0x85, 5_000_000), (byte)'.'];

        foreach (var pickle in new[] { flat, nested })
        {
            var e = Assert.Throws<DataFileException>(() => Load(pickle));
            Assert.Contains($"more than {Unpickler.MaxOpcodes:N0} opcodes", e.Message);
        }
    }

    private sealed class Buildable : IPickleBuildable
    {
        public object? State { get; private set; }

        public void SetState(object? state) => State = state;
    }
}
