using System.Buffers.Binary;
using Backprop.Data;

namespace Backprop.Tests.Data;

/// <summary>
/// Seeded random corruptions (bit flips, truncations, header and opcode edits, inserted and deleted bytes, gzip trailer
/// edits) of the pickle fixture, the real label files and a small IDX images file: the readers may only ever throw
/// <see cref="DataFileException"/>, must finish, must refuse every truncation, and must not allocate more than the file
/// justifies (its size; for gzip, what deflate can make of its size).
/// </summary>
public sealed class DataFuzzTests
{
    private const int CasesPerMode = 30;

    /// <summary>FileStream and hashing buffers, exception messages, the unpickler's stack: a fixed allowance.</summary>
    private const long Overhead = 512 << 10;

    private enum Mode
    {
        /// <summary>Corrupt the content, write it raw.</summary>
        Raw,

        /// <summary>Corrupt the content, gzip it: a valid gzip around damaged content.</summary>
        Regzipped,

        /// <summary>Corrupt the gzip'ed bytes themselves.</summary>
        Gzip,
    }

    private sealed record Input(string Name, byte[] Content, Action<string> Load, int[] Hot);

    private sealed record Case(string Input, Mode Mode, int Index, string Mutation, bool Truncated, byte[] File)
    {
        public override string ToString() => $"{Input} ({Mode}) case {Index}: {Mutation}";
    }

    private static readonly byte[] SmallImages =
    [
        .. new byte[] { 0, 0, 8, 3, 0, 0, 0, 6, 0, 0, 0, 4, 0, 0, 0, 5 },
        .. Enumerable.Range(0, 6 * 4 * 5).Select(i => (byte)(i * 37)),
    ];

    [Fact]
    public async Task Only_DataFileException_escapes_from_a_few_hundred_corrupt_files()
    {
        var pickle = MnistPickleTests.SmallPickle();
        var t10kLabels = Gzip.ReadAllBytes(Path.Combine(Repo.MnistIdx, "t10k-labels-idx1-ubyte.gz"));
        Input[] inputs =
        [
            new("mnist-small.pkl", pickle, p => MnistPickle.Load(p).Dispose(), PickleStructure(pickle)),
            new("t10k-labels", t10kLabels, p => IdxReader.ReadLabels(p), [.. Enumerable.Range(0, 8)]),
            new("small-images", SmallImages, p => IdxReader.ReadImagesAsUnitFloats(p).X.Dispose(), [.. Enumerable.Range(0, 16)]),
        ];
        var trainLabelsGz = File.ReadAllBytes(Path.Combine(Repo.MnistIdx, "train-labels-idx1-ubyte.gz"));
        using var dir = new TempDir();
        var current = "";
        var refused = 0;
        var total = 0;

        var work = Task.Run(() =>
        {
            foreach (var (input, seed) in inputs.Select((input, i) => (input, 1000 + i)))
            foreach (var mode in Enum.GetValues<Mode>())
            {
                var random = new Random(seed * 10 + (int)mode);
                var gz = DataFileTests.Gzip(input.Content);
                for (var i = 0; i < CasesPerMode; i++)
                {
                    var c = mode == Mode.Gzip
                        ? MutateGzip(random, input.Name, i, gz)
                        : Mutate(random, input, mode, i);
                    current = c.ToString();
                    refused += Run(dir, c, input.Load) ? 1 : 0;
                    total++;
                }
            }
            // The real training labels (29 KB gzip'ed), corrupted as they ship.
            var rng = new Random(2000);
            for (var i = 0; i < 2 * CasesPerMode; i++)
            {
                var c = MutateGzip(rng, "train-labels", i, trainLabelsGz);
                current = c.ToString();
                refused += Run(dir, c, p => IdxReader.ReadLabels(p)) ? 1 : 0;
                total++;
            }
        });

        if (await Task.WhenAny(work, Task.Delay(TimeSpan.FromMinutes(5))) != work)
            Assert.Fail($"a reader hung on {current}");
        await work;
        Assert.Equal(11 * CasesPerMode, total);
        // Most corruptions must be caught; the rest changed only pixels, labels or gzip header fields nobody reads.
        Assert.InRange(refused, total / 2, total);
    }

    /// <summary>Loads one corrupt file; true when it was refused. Fails the test on any other exception or allocation.</summary>
    private static bool Run(TempDir dir, Case c, Action<string> load)
    {
        var path = dir.File($"case-{c.Index}");
        File.WriteAllBytes(path, c.File);
        var justified = c.Mode == Mode.Raw ? 4L * c.File.Length : 1032L * c.File.Length;
        var before = GC.GetAllocatedBytesForCurrentThread();
        bool wasRefused;
        try
        {
            load(path);
            wasRefused = false;
        }
        catch (DataFileException e)
        {
            Assert.Equal(path, e.File);
            wasRefused = true;
        }
        catch (Exception e)
        {
            Assert.Fail($"{c} threw {e.GetType().Name}: {e.Message}");
            throw;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated <= justified + Overhead, $"{c} allocated {allocated:N0} bytes for a {c.File.Length:N0}-byte file");
        Assert.True(wasRefused || !c.Truncated, $"{c} was truncated but loaded");
        return wasRefused;
    }

    private static Case Mutate(Random random, Input input, Mode mode, int index)
    {
        var bytes = (byte[])input.Content.Clone();
        // Half the edits land on structure (headers, opcodes, lengths), half anywhere.
        int At() => random.Next(2) == 0 ? input.Hot[random.Next(input.Hot.Length)] : random.Next(bytes.Length);
        string what;
        var truncated = false;
        switch (random.Next(6))
        {
            case 0:
                var flips = random.Next(1, 5);
                for (var k = 0; k < flips; k++) bytes[At()] ^= (byte)(1 << random.Next(8));
                what = $"{flips} bit flips";
                break;
            case 1:
                var keep = random.Next(bytes.Length);
                bytes = bytes[..keep];
                what = $"truncated to {keep}";
                truncated = true;
                break;
            case 2:
                var at = Math.Min(At(), bytes.Length - 4);
                int[] extremes = [0, 1, -1, int.MaxValue, int.MinValue, 0x10000, bytes.Length, 2 * bytes.Length];
                var value = extremes[random.Next(extremes.Length)];
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), random.Next(2) == 0 ? value : BinaryPrimitives.ReverseEndianness(value));
                what = $"int {value} at {at}";
                break;
            case 3:
                var where = At();
                bytes[where] = (byte)random.Next(256);
                what = $"byte {bytes[where]} at {where}";
                break;
            case 4:
                var from = At();
                var count = Math.Min(random.Next(1, 9), bytes.Length - from);
                bytes = [.. bytes[..from], .. bytes[(from + count)..]];
                what = $"{count} bytes deleted at {from}";
                break;
            default:
                var insertAt = At();
                var inserted = new byte[random.Next(1, 9)];
                random.NextBytes(inserted);
                bytes = [.. bytes[..insertAt], .. inserted, .. bytes[insertAt..]];
                what = $"{inserted.Length} bytes inserted at {insertAt}";
                break;
        }
        // A gzip of a truncated content is a complete file: whether it loads depends on the content alone.
        return new Case(input.Name, mode, index, what, truncated && mode == Mode.Raw, mode == Mode.Raw ? bytes : DataFileTests.Gzip(bytes));
    }

    private static Case MutateGzip(Random random, string name, int index, byte[] gz)
    {
        var bytes = (byte[])gz.Clone();
        switch (random.Next(4))
        {
            case 0:
                var flips = random.Next(1, 5);
                for (var k = 0; k < flips; k++) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return new Case(name, Mode.Gzip, index, $"{flips} bit flips", false, bytes);
            case 1:
                var keep = random.Next(bytes.Length);
                return new Case(name, Mode.Gzip, index, $"truncated to {keep}", true, bytes[..keep]);
            case 2:
                uint[] sizes = [0, 1, 16, 0x7fffffff, 0xffffffff, (uint)random.Next(), (uint)(bytes.Length * 1032)];
                var isize = sizes[random.Next(sizes.Length)];
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), isize);
                return new Case(name, Mode.Gzip, index, $"trailer ISIZE {isize}", false, bytes);
            default:
                var at = random.Next(10); // the gzip header: magic, method, flags, mtime, xfl, os
                bytes[at] = (byte)random.Next(256);
                return new Case(name, Mode.Gzip, index, $"header byte {at} = {bytes[at]}", false, bytes);
        }
    }

    /// <summary>The offsets of a pickle that are not inside its big BINSTRING payloads: opcodes, lengths, memo indexes.</summary>
    private static int[] PickleStructure(byte[] pickle)
    {
        var payload = new bool[pickle.Length];
        for (var i = 0; i + 5 < pickle.Length; i++)
        {
            if (pickle[i] != (byte)'T') continue;
            var length = BinaryPrimitives.ReadInt32LittleEndian(pickle.AsSpan(i + 1));
            // numpy's payloads here: images of 3,136 bytes or labels of 8, each followed by a BINPUT.
            if (length < 16 || i + 5 + length >= pickle.Length || pickle[i + 5 + length] != (byte)'q') continue;
            Array.Fill(payload, true, i + 5, length);
            i += 4 + length;
        }
        return [.. Enumerable.Range(0, pickle.Length).Where(i => !payload[i])];
    }
}
