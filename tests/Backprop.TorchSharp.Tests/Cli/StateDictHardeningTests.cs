using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using Backprop.Cli;
using Backprop.Cli.Runs;
using Backprop.Scratch;
using Backprop.Training;
using static TorchSharp.torch;

namespace Backprop.Tests.Cli;

/// <summary>
/// Hostile state_dicts, exports and the small promises of issue 24, in-process: each is refused by name before anything
/// is allocated from what the file claims, and the user's files stay as they were.
/// </summary>
public sealed class StateDictHardeningTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => BackpropAppTests.Run(args);

    /// <summary>One tensor of a hand-made <c>torch.save</c> file: its key, storage (float32 values) and view.</summary>
    internal sealed record PtTensor(string Key, float[] Storage, long[] Shape, long[] Stride, long Offset = 0, string Type = "FloatStorage");

    /// <summary>
    /// Writes <paramref name="tensors"/> as <c>torch.save(state_dict, path)</c> does: a zip with <c>archive/data.pkl</c>
    /// (protocol 2, PyTorch's opcodes) and one <c>archive/data/N</c> per storage; <paramref name="pickle"/> may replace the pickle.
    /// </summary>
    internal static void SavePt(string path, IReadOnlyList<PtTensor> tensors, byte[]? pickle = null, Func<int, long>? claimedElements = null)
    {
        using var file = File.Create(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        using (var s = zip.CreateEntry("archive/data.pkl").Open()) s.Write(pickle ?? Pickle(tensors, claimedElements));
        for (var i = 0; i < tensors.Count; i++)
        {
            using var s = zip.CreateEntry($"archive/data/{i}").Open();
            s.Write(MemoryMarshal.AsBytes(tensors[i].Storage.AsSpan())); // in the machine's byte order, as torch.save writes it
        }
        using (var s = zip.CreateEntry("archive/version").Open()) s.Write("3\n"u8);
    }

    // PROTO 2; OrderedDict(); MARK; per tensor: key, _rebuild_tensor_v2((storage pid), offset, size, stride, False, OrderedDict()); SETITEMS; STOP.
    private static byte[] Pickle(IReadOnlyList<PtTensor> tensors, Func<int, long>? claimedElements)
    {
        var p = new List<byte> { 0x80, 2 };
        void Op(char c) => p.Add((byte)c);
        void Str(string s) { Op('X'); var b = Encoding.UTF8.GetBytes(s); p.AddRange(BitConverter.GetBytes(b.Length)); p.AddRange(b); }
        void Int(long v) { Op('J'); p.AddRange(BitConverter.GetBytes(checked((int)v))); }
        void Global(string module, string name) { Op('c'); p.AddRange(Encoding.ASCII.GetBytes($"{module}\n{name}\n")); }
        Global("collections", "OrderedDict"); Op(')'); Op('R'); Op('(');
        for (var i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            Str(t.Key);
            Global("torch._utils", "_rebuild_tensor_v2"); Op('(');
            Op('('); Str("storage"); Global("torch", t.Type); Str($"{i}"); Str("cpu"); Int(claimedElements?.Invoke(i) ?? t.Storage.Length); Op('t'); Op('Q');
            Int(t.Offset);
            Op('('); foreach (var d in t.Shape) Int(d); Op('t');
            Op('('); foreach (var d in t.Stride) Int(d); Op('t');
            p.Add(0x89); Global("collections", "OrderedDict"); Op(')'); Op('R'); Op('t'); Op('R');
        }
        Op('u'); Op('.');
        return [.. p];
    }

    private static PtTensor[] Lesson(int nh, Func<int, float>? value = null) => Mlp(value, 784, nh, 10);

    /// <summary>nn.Sequential(nn.Linear(sizes[0], sizes[1]), nn.ReLU(), ...)'s state_dict: keys 0, 2, 4, ..., weights (out, in), made-up values.</summary>
    private static PtTensor[] Mlp(Func<int, float>? value, params int[] sizes)
    {
        float[] Values(int n, int salt) => [.. Enumerable.Range(0, n).Select(i => value?.Invoke(i) ?? ((i * 7 + salt) % 13 - 6) / 100f)];
        return [.. sizes.Zip(sizes.Skip(1)).SelectMany((p, l) => new PtTensor[]
        {
            new($"{2 * l}.weight", Values(p.Second * p.First, (2 * l) + 1), [p.Second, p.First], [p.First, 1]),
            new($"{2 * l}.bias", Values(p.Second, (2 * l) + 2), [p.Second], [1]),
        })];
    }

    [Fact]
    public void A_deeper_pt_reads_its_depth_from_its_keys_in_any_order_and_evaluates()
    {
        using var dir = new TempDir();
        var t = Mlp(null, 784, 5, 4, 10);
        SavePt(dir.File("deep.pt"), [t[5], t[2], t[0], t[4], t[1], t[3]]); // torch.save keeps the dict's order, whatever it is

        var read = StateDictFile.Load(dir.File("deep.pt"));
        var (code, stdout, stderr) = Run("evaluate", dir.File("deep.pt"), "--data", Repo.Data, "--device", "cpu", "--png", dir.File("cm.png"));

        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"], read.Select(r => r.Name));
        Assert.Equal(t.Select(x => x.Storage), read.Select(r => r.Values));
        Assert.Equal("784-5-4-10", StateDictFile.HiddenOf(read).Architecture);
        Assert.True(code == ExitCodes.Ok, stderr);
        Assert.Contains("784-5-4-10 state_dict", stdout);
    }

    // Whatever the depth, the keys and shapes are those of nn.Sequential(Linear, ReLU, ..., Linear) from 784 to 10, or the file is named.
    [Theory]
    [InlineData("gap", "its layers are numbered 0, 4, where nn.Sequential(Linear, ReLU, Linear, ...) numbers them 0, 2, 4, ...")]
    [InlineData("odd", "its layers are numbered 0, 1, where nn.Sequential(Linear, ReLU, Linear, ...) numbers them 0, 2, 4, ...")]
    [InlineData("no bias", "2.weight has no 2.bias")]
    [InlineData("no weight", "2.bias has no 2.weight")]
    [InlineData("chain", "2.weight takes 6 inputs, but 0.weight gives 5")]
    [InlineData("inputs", "0.weight takes 783 inputs, not MNIST's 784")]
    [InlineData("classes", "its last layer, 4.weight, gives 9 outputs, not MNIST's 10 classes")]
    [InlineData("bias", "2.bias is (3), but 2.weight gives 4 outputs")]
    [InlineData("3-d", "2.weight is (4, 5, 1), not an nn.Linear's (out, in)")]
    [InlineData("one layer", "it has one nn.Linear (784-10, no hidden layer)")]
    [InlineData("other key", "0.running_mean is not the weight or bias of an nn.Linear in it")]
    [InlineData("leading zero", "00.weight is not the weight or bias of an nn.Linear in it")]
    [InlineData("too deep", "holds a model of 33 hidden layers, more than the 32 backprop trains or reads")]
    [InlineData("too wide", "holds a model of nh = 120,000 hidden units in hidden layer 2, more than the 100,000 backprop trains or reads")]
    [InlineData("too large", "holds a model of 107,960,010 weights and biases (784-10000-10000-10), more than the 100,000,000 backprop trains or reads")]
    public void A_state_dict_that_is_no_such_model_is_refused_by_name(string craft, string says)
    {
        using var dir = new TempDir();
        var file = dir.File($"{craft}.pt");
        var t = Mlp(null, 784, 5, 4, 10);
        // A (rows, cols) view of one element (stride 0, as an expanded tensor is saved): the shapes a model declares, without its bytes.
        PtTensor Broadcast(string key, params long[] shape) => new(key, [0.5f], shape, new long[shape.Length]);
        PtTensor[] tensors = craft switch
        {
            "gap" => [.. Lesson(5)[..2], .. Lesson(5)[2..].Select(x => x with { Key = x.Key.Replace("2.", "4.", StringComparison.Ordinal) })],
            "odd" => [.. Lesson(5)[..2], .. Lesson(5)[2..].Select(x => x with { Key = x.Key.Replace("2.", "1.", StringComparison.Ordinal) })],
            "no bias" => [.. t[..3], .. t[4..]],
            "no weight" => [.. t[..2], .. t[3..]],
            "chain" => [.. t[..2], .. Mlp(null, 784, 6, 4, 10)[2..]],
            "inputs" => Mlp(null, 783, 5, 10),
            "classes" => Mlp(null, 784, 5, 4, 9),
            "bias" => [.. t[..3], t[3] with { Storage = [1, 2, 3], Shape = [3] }, .. t[4..]],
            "3-d" => [.. t[..2], t[2] with { Shape = [4, 5, 1], Stride = [5, 1, 1] }, .. t[3..]],
            "one layer" => Mlp(null, 784, 10),
            "other key" => [.. Lesson(5), new("0.running_mean", [0, 0, 0, 0, 0], [5], [1])],
            "leading zero" => [.. Lesson(5).Select(x => x with { Key = "0" + x.Key })],
            "too deep" => Mlp(null, [784, .. Enumerable.Repeat(1, 33), 10]),
            "too wide" => [.. Lesson(5)[..2], Broadcast("2.weight", 120_000, 5), Broadcast("2.bias", 120_000), Broadcast("4.weight", 10, 120_000), Broadcast("4.bias", 10)],
            _ => [Broadcast("0.weight", 10_000, 784), Broadcast("0.bias", 10_000), Broadcast("2.weight", 10_000, 10_000), Broadcast("2.bias", 10_000), Broadcast("4.weight", 10, 10_000), Broadcast("4.bias", 10)],
        };
        SavePt(file, tensors);

        var err = Error(file);

        Assert.StartsWith($"error: {file}: holds ", err, StringComparison.Ordinal);
        Assert.Contains(says, err);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static string Error(string file)
    {
        var (code, stdout, stderr) = Run("evaluate", file, "--data", Repo.Data, "--png", file + ".png");
        Assert.Equal(ExitCodes.Failed, code);
        Assert.Empty(stdout);
        Assert.False(File.Exists(file + ".png"));
        return stderr;
    }

    [Fact]
    public void A_hand_made_pt_reads_and_a_transposed_view_is_gathered_as_PyTorch_loads_it()
    {
        using var dir = new TempDir();
        var t = Lesson(3);
        // 0.weight saved as the transpose of a (784, 3) tensor: storage in (784, 3) order, stride (1, 3).
        var w = t[0].Storage;
        var transposed = new float[w.Length];
        for (var r = 0; r < 3; r++) for (var c = 0; c < 784; c++) transposed[c * 3 + r] = w[r * 784 + c];
        SavePt(dir.File("plain.pt"), t);
        SavePt(dir.File("view.pt"), [t[0] with { Storage = transposed, Stride = [1, 3] }, .. t[1..]]);

        var plain = StateDictFile.Load(dir.File("plain.pt"));
        var view = StateDictFile.Load(dir.File("view.pt"));

        Assert.Equal(w, plain[0].Values);
        Assert.Equal(w, view[0].Values);
        Assert.Equal(t[3].Storage, view[3].Values);
    }

    [Fact]
    public void A_pt_wider_than_100000_is_refused_before_its_storages_are_read()
    {
        using var dir = new TempDir();
        // nh = 120,000: 376 MB of deflated zeros in a file of about 0.4 MB, refused by its declarations.
        var nh = 120_000;
        SavePt(dir.File("wide.pt"), [new("0.weight", new float[(long)nh * 784], [nh, 784], [784, 1]), new("0.bias", new float[nh], [nh], [1]),
            new("2.weight", new float[10 * nh], [10, nh], [nh, 1]), new("2.bias", new float[10], [10], [1])]);
        var before = GC.GetTotalAllocatedBytes();

        var err = Error(dir.File("wide.pt"));

        Assert.Contains("nh = 120,000 hidden units, more than the 100,000", err);
        Assert.True(GC.GetTotalAllocatedBytes() - before < 100_000_000, "the storages were read");
    }

    [Theory]
    [InlineData("flood", "runs more than 100,000 opcodes")]
    [InlineData("long4", "0x8b (LONG4)")]
    [InlineData("system", "calls os.system, which a torch.save state_dict of tensors never calls")]
    [InlineData("parameter", "holds nn.Parameter objects")]
    [InlineData("claims", "storage 0 holds 9,408 bytes, but its 2,147,483,647 elements")]
    [InlineData("outside", "reaches element 2,352 of a storage of 2,352")]
    [InlineData("nan", "holds a NaN or infinite weight in 0.weight")]
    [InlineData("empty", "holds no tensors (an empty state_dict)")]
    [InlineData("int", "holds 0.weight as torch.IntStorage, not floating point")]
    public void A_crafted_pt_is_refused_by_name(string craft, string says)
    {
        using var dir = new TempDir();
        var file = dir.File($"{craft}.pt");
        var t = Lesson(3);
        byte[] Prefix(params byte[] ops) => [0x80, 2, .. ops, (byte)'.'];
        switch (craft)
        {
            case "flood": SavePt(file, t, [0x80, 2, .. Enumerable.Repeat((byte)'N', 500_000), (byte)'.']); break;
            case "long4": SavePt(file, t, Prefix(0x8b, 0xff, 0xff, 0xff, 0x7f)); break;
            case "system": SavePt(file, t, Prefix([.. "cos\nsystem\n"u8, (byte)'X', 2, 0, 0, 0, (byte)'l', (byte)'s', 0x85, (byte)'R'])); break;
            case "parameter": SavePt(file, t, Prefix([.. "ctorch._utils\n_rebuild_parameter\n"u8, (byte)')', (byte)'R'])); break;
            case "claims": SavePt(file, t, claimedElements: i => i == 0 ? int.MaxValue : t[i].Storage.Length); break;
            case "outside": SavePt(file, [t[0] with { Offset = 1 }, .. t[1..]]); break;
            case "nan": SavePt(file, Lesson(3, i => i == 5 ? float.NaN : 0)); break;
            case "empty": SavePt(file, []); break;
            case "int": SavePt(file, [t[0] with { Type = "IntStorage" }, .. t[1..]]); break;
        }

        var err = Error(file);

        Assert.Contains(says, err);
        Assert.DoesNotContain("frame #", err);
    }

    private static byte[] Safetensors(string header, int dataBytes)
    {
        var h = Encoding.UTF8.GetBytes(header);
        return [.. BitConverter.GetBytes((ulong)h.Length), .. h, .. new byte[dataBytes]];
    }

    [Theory]
    [InlineData("huge", "its header length is 2,147,483,647 bytes")]
    [InlineData("negative", "0.bias has data_offsets [-8, 0]")]
    [InlineData("overlap", "overlap another tensor's")]
    [InlineData("beyond", "0.weight has data_offsets [0, 100000]")]
    [InlineData("hole", "belong to no tensor")]
    [InlineData("short", "cover 56 of the 64 bytes")]
    [InlineData("size", "0.weight has 4 bytes of data, but shape [1, 784] of F32 needs 3,136")]
    public void A_malformed_safetensors_file_is_refused_by_its_specification(string craft, string says)
    {
        using var dir = new TempDir();
        var file = dir.File($"{craft}.safetensors");
        string Entry(string name, string shape, long a, long b) => $"\"{name}\":{{\"dtype\":\"F32\",\"shape\":{shape},\"data_offsets\":[{a},{b}]}}";
        byte[] bytes = craft switch
        {
            "huge" => [.. BitConverter.GetBytes((ulong)int.MaxValue), .. "{}"u8],
            "negative" => Safetensors($"{{{Entry("0.weight", "[2]", 0, 8)},{Entry("0.bias", "[2]", -8, 0)}}}", 8),
            "overlap" => Safetensors($"{{{Entry("0.weight", "[2]", 0, 8)},{Entry("0.bias", "[2]", 4, 12)}}}", 12),
            "beyond" => Safetensors($"{{{Entry("0.weight", "[25000]", 0, 100000)}}}", 8),
            "hole" => Safetensors($"{{{Entry("0.weight", "[2]", 0, 8)},{Entry("0.bias", "[2]", 16, 24)}}}", 24),
            "short" => Safetensors($"{{{Entry("0.weight", "[2]", 0, 8)},{Entry("0.bias", "[12]", 8, 56)}}}", 64),
            _ => Safetensors($"{{{Entry("0.weight", "[1,784]", 0, 4)}}}", 4),
        };
        File.WriteAllBytes(file, bytes);

        Assert.Contains(says, Error(file));
    }

    [Fact]
    public void Export_replaces_an_earlier_export_but_not_another_zip_nor_a_file_that_starts_like_onnx()
    {
        using var dir = new TempDir();
        var ckpt = dir.File("c.ckpt");
        CheckpointFile.Save(ckpt, HardeningTests.Sample() with
        {
            Settings = new TrainSettings(Hidden: 2),
            Weights = [new("0.weight", [2, 784], new float[1568]), new("0.bias", [2], [0, 0]), new("2.weight", [10, 2], new float[20]), new("2.bias", [10], new float[10])],
        });
        using (var zip = ZipFile.Open(dir.File("report.pt"), ZipArchiveMode.Create)) zip.CreateEntry("word/document.xml");
        File.WriteAllBytes(dir.File("notes.onnx"), [0x08, 0x07, .. "my notes"u8]);
        var zipBefore = File.ReadAllBytes(dir.File("report.pt"));

        var (first, _, firstErr) = Run("export", ckpt, "--format", "pt", "--out", dir.File("m.pt"));
        var (again, _, againErr) = Run("export", ckpt, "--format", "pt", "--out", dir.File("m.pt"));
        var (onnx, _, _) = Run("export", ckpt, "--format", "onnx", "--out", dir.File("m.onnx"));
        var (onnxAgain, _, _) = Run("export", ckpt, "--format", "onnx", "--out", dir.File("m.onnx"));
        var (docx, _, docxErr) = Run("export", ckpt, "--format", "pt", "--out", dir.File("report.pt"));
        var (notes, _, notesErr) = Run("export", ckpt, "--format", "onnx", "--out", dir.File("notes.onnx"));
        var (other, _, otherErr) = Run("export", ckpt, "--format", "safetensors", "--out", dir.File("m.pt"));

        Assert.True((first, again, onnx, onnxAgain) == (0, 0, 0, 0), firstErr + againErr);
        Assert.Equal((1, 1, 1), (docx, notes, other));
        foreach (var err in new[] { docxErr, notesErr, otherErr }) Assert.Contains("holds something else", err);
        Assert.Equal(zipBefore, File.ReadAllBytes(dir.File("report.pt")));
        Assert.Equal([0x08, 0x07, .. "my notes"u8], File.ReadAllBytes(dir.File("notes.onnx")));
    }

    [Fact]
    public void An_onnx_model_past_protobuf_s_2_GiB_is_refused_before_it_is_built()
    {
        CheckpointTensor[] wide = [new("0.weight", [700_000, 784], []), new("0.bias", [700_000], []), new("2.weight", [10, 700_000], []), new("2.bias", [10], [])];

        Assert.Contains("must stay under protobuf's 2 GiB", OnnxModel.TooLarge(wide));
        Assert.Null(OnnxModel.TooLarge([new("0.weight", [100_000, 784], [])]));
        Assert.Throws<ArgumentException>(() => OnnxModel.Save("never-written.onnx", wide, "test"));
        Assert.False(File.Exists("never-written.onnx"));
    }

    [Fact]
    public void Libtorch_s_native_trace_and_control_characters_never_reach_a_message()
    {
        string native;
        try
        {
            using var bad = zeros(2, 3).reshape(7, 5);
            native = "";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            native = e.Message;
        }
        Assert.Contains("frame #", native); // what TorchSharp passes on from libtorch

        var line = Shown.Line($"x.pt: cannot be read ({native}); pass another file");

        Assert.StartsWith("x.pt: cannot be read (shape '[7, 5]' is invalid for input of size 6", line);
        Assert.DoesNotContain("frame #", line);
        Assert.DoesNotContain("Exception raised from", line);
        Assert.DoesNotContain('\n', line);
        Assert.Equal("a\\e[31mb\\nc.png", Shown.Path("a\u001b[31mb\nc.png"));
        using var err = new StringWriter();
        CliConsole.Create(TextWriter.Null, err, live: false).Error.WriteLine($"error: {"a\u001b]0;pwned\u0007.png"} does not exist");
        Assert.Equal("error: a\\e]0;pwned\\x07.png does not exist" + Environment.NewLine, err.ToString());
    }

    [Fact]
    public void The_library_refuses_a_gradient_of_a_disposed_tensor_and_a_NaN_learning_rate()
    {
        var t = zeros(2);
        t.G = ones(2);
        t.Dispose();

        Assert.Throws<ObjectDisposedException>(() => t.G);
        Assert.False(t.HasG);
        Assert.Throws<ArgumentOutOfRangeException>(() => Models.GetModel(lr: double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => Models.GetModel(lr: 0));
    }

    [Fact]
    public void An_empty_safetensors_header_entry_is_still_the_specification_s()
    {
        // The inverse of the refusals above: a file by the specification, written by hand, reads (dtype F64 to float32).
        using var dir = new TempDir();
        var n = 2;
        var entries = new[] { ("0.weight", new long[] { n, 784 }), ("0.bias", [n]), ("2.weight", [10, n]), ("2.bias", [10]) };
        var header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long at = 0;
        foreach (var (name, shape) in entries)
        {
            var bytes = shape.Aggregate(8L, (a, b) => a * b);
            header.Append($",\"{name}\":{{\"dtype\":\"F64\",\"shape\":[{string.Join(',', shape)}],\"data_offsets\":[{at},{at + bytes}]}}");
            at += bytes;
        }
        header.Append("   }");
        var data = new byte[at];
        for (var i = 0; i < at / 8; i++) BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(i * 8), i / 1000.0);
        File.WriteAllBytes(dir.File("f64.safetensors"), Safetensors(header.ToString(), 0).Concat(data).ToArray());

        var read = StateDictFile.Load(dir.File("f64.safetensors"));

        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], read.Select(r => r.Name));
        Assert.Equal(1 / 1000f, read[0].Values[1]);
        Assert.Equal((float)(n * 784 / 1000.0), read[1].Values[0]);
    }
}
