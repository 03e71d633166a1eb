using System.Buffers.Binary;
using System.Text.Json;
using Backprop.Cli;
using Backprop.Cli.Runs;
#if ONNX_RUNTIME
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
#endif
using static TorchSharp.torch;

namespace Backprop.Tests.Cli.Runs;

/// <summary>
/// One epoch of <c>backprop train</c> (the lesson's 784-50-10: the shared <see cref="TrainedRun"/>), exported by
/// <c>backprop export</c> in all three formats, with our own logits on the test split to compare every reader's with. Made
/// once per test class that asks for it.
/// </summary>
public class ExportedModel : IDisposable
{
    private readonly TempDir _dir = new();

    public ExportedModel(TrainedRun run, MnistFixture data)
        : this("50", _ => run.Checkpoint, data)
    {
    }

    /// <param name="hidden">The hidden layers, as <c>--hidden</c> takes them.</param>
    /// <param name="train">Gives the checkpoint to export, trained into the folder it is given if need be.</param>
    /// <param name="data">The shared MNIST, for our logits.</param>
    internal ExportedModel(string hidden, Func<string, string> train, MnistFixture data)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(data);
        Hidden = hidden;
        Checkpoint = train(_dir.File("run"));
        foreach (var (format, path) in new[] { ("pt", Pt), ("safetensors", Safetensors), ("onnx", Onnx) })
        {
            var (code, stdout, err) = BackpropAppTests.Run("export", Checkpoint, "--format", format, "--out", path);
            Assert.True(code == ExitCodes.Ok, err);
            Said[format] = stdout;
        }
        Weights = CheckpointFile.Load(Checkpoint).Weights;
        var mnist = data.Mnist;
        using var model = CheckpointModel.Load(CheckpointFile.Load(Checkpoint), Checkpoint, CPU);
        using var noGrad = no_grad();
        using var logits = model.call(mnist.XTest);
        Logits = logits.data<float>().ToArray();
        Targets = mnist.YTest.data<long>().ToArray();
        TestImages = mnist.XTest.data<float>().ToArray();
    }

    /// <summary>The hidden layers' widths, as <c>--hidden</c> and interop.py take them: <c>50</c>, <c>100,50</c>.</summary>
    public string Hidden { get; }

    /// <summary>The state_dict keys nn.Sequential gives this model: 0.weight, 0.bias, 2.weight, ... (2 per nn.Linear).</summary>
    public string[] Keys => [.. Enumerable.Range(0, Hidden.Split(',').Length + 1).SelectMany(l => new[] { $"{2 * l}.weight", $"{2 * l}.bias" })];

    /// <summary>What <c>backprop export</c> printed for each format.</summary>
    public Dictionary<string, string> Said { get; } = [];

    public string Checkpoint { get; }
    public string Pt => _dir.File("model.pt");
    public string Safetensors => _dir.File("model.safetensors");
    public string Onnx => _dir.File("model.onnx");
    public string File(string name) => _dir.File(name);

    /// <summary>The checkpoint's weights.</summary>
    internal IReadOnlyList<CheckpointTensor> Weights { get; }

    /// <summary>Our logits on the 10,000 test images, (10000, 10) row-major.</summary>
    public float[] Logits { get; }

    public long[] Targets { get; }

    /// <summary>The test images, (10000, 784) row-major, byte / 256.</summary>
    public float[] TestImages { get; }

    public void Dispose()
    {
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Asserts that <paramref name="theirs"/> (10000, 10) gives every argmax ours gives and logits within 1e-5.</summary>
    public void AssertSameLogits(float[] theirs, string who)
    {
        Assert.Equal(Logits.Length, theirs.Length);
        var maxDiff = Logits.Zip(theirs, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff <= 1e-5, $"{who}: max |logit difference| = {maxDiff:G4} > 1e-5");
        var n = Targets.Length;
        var differ = Enumerable.Range(0, n).Count(i => ArgMax(Logits, i) != ArgMax(theirs, i));
        Assert.True(differ == 0, $"{who}: {differ} of {n} test predictions differ from ours");
    }

    private static int ArgMax(float[] logits, int row)
    {
        var best = 0;
        for (var c = 1; c < 10; c++) if (logits[row * 10 + c] > logits[row * 10 + best]) best = c;
        return best;
    }
}

/// <summary>
/// The same model with two hidden layers, 784-100-50-10, trained by lesson 03's hand-written gradients: its state_dict keys
/// are 0, 2 and 4, and its ONNX graph Gemm, Relu, Gemm, Relu, Gemm.
/// </summary>
public sealed class DeepExportedModel(MnistFixture data) : ExportedModel("100,50", dir => TrainRun.Execute(new TrainRequest
{
    Overrides = new TrainOverrides(Hidden: new HiddenLayers(100, 50), Gradients: GradientKind.Manual, Epochs: 1), DataDir = Repo.Data, Device = "cpu", OutDir = dir,
}, new SilentObserver()).Folder.Checkpoint, data);

/// <summary>
/// <c>backprop export</c>'s three formats read back in .NET: our own readers, the safetensors specification, the test
/// suite's own ONNX interpreter and (with <c>-p:OnnxRuntime=true</c>) ONNX Runtime; for each model the derived class's fixture trains.
/// </summary>
public abstract class ExportFormatChecks<TModel>(TModel model) where TModel : ExportedModel
{
    /// <summary>The fixture, for the derived class's own tests.</summary>
    protected TModel Model => model;

    [Fact]
    public void The_pt_and_safetensors_files_hold_the_checkpoint_s_weights_bit_for_bit()
    {
        Assert.Equal(model.Keys, model.Weights.Select(t => t.Name));
        foreach (var file in new[] { model.Pt, model.Safetensors })
        {
            var read = StateDictFile.Load(file);
            Assert.Equal(model.Keys, read.Select(t => t.Name));
            foreach (var (ours, theirs) in model.Weights.Zip(read))
            {
                Assert.Equal(ours.Shape, theirs.Shape);
                Assert.Equal(ours.Values, theirs.Values);
            }
        }
    }

    [Fact]
    public void The_safetensors_file_follows_the_format_s_specification()
    {
        // u64 little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, then the raw tensors back to back.
        var bytes = File.ReadAllBytes(model.Safetensors);
        var n = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        using var header = JsonDocument.Parse(bytes.AsMemory(8, n));
        var data = bytes[(8 + n)..];
        long end = 0;
        foreach (var w in model.Weights)
        {
            var e = header.RootElement.GetProperty(w.Name);
            Assert.Equal("F32", e.GetProperty("dtype").GetString());
            Assert.Equal(w.Shape, e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
            var offsets = e.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            Assert.Equal(end, offsets[0]);
            end = offsets[1];
            var values = Enumerable.Range(0, w.Values.Length).Select(i => BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan((int)(offsets[0] + 4 * i)))).ToArray();
            Assert.Equal(w.Values, values);
        }
        Assert.Equal(data.Length, end);
    }

    [Fact]
    public void The_test_suite_s_ONNX_interpreter_gives_our_test_predictions_and_logits_from_the_file_s_own_weights()
    {
        var onnx = OnnxInterpreter.Load(model.Onnx);
        Assert.Equal(("input", "logits"), (onnx.InputName, onnx.OutputName));

        var logits = onnx.Run(new OnnxInterpreter.Value([model.Targets.Length, 784], model.TestImages));

        Assert.Equal([model.Targets.Length, 10], logits.Shape);
        model.AssertSameLogits(logits.Data, "the ONNX interpreter");
    }

    [OnnxRuntimeFact]
    public void Onnx_Runtime_gives_our_test_predictions_and_logits()
    {
#if ONNX_RUNTIME
        using var session = new InferenceSession(model.Onnx);
        var input = Assert.Single(session.InputMetadata);
        Assert.Equal("input", input.Key);
        Assert.Equal([-1, 784], input.Value.Dimensions);
        Assert.Equal(typeof(float), input.Value.ElementType);
        Assert.Equal("logits", Assert.Single(session.OutputMetadata).Key);

        var x = new DenseTensor<float>(model.TestImages, [model.Targets.Length, 784]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", x)]);
        var logits = results.Single().AsTensor<float>();
        Assert.Equal([model.Targets.Length, 10], logits.Dimensions.ToArray());
        model.AssertSameLogits([.. logits], "ONNX Runtime");
#endif
    }

    [Fact]
    public void Evaluate_gives_the_checkpoint_s_accuracy_for_its_exported_state_dicts()
    {
        string Accuracy(string file)
        {
            var (code, stdout, stderr) = BackpropAppTests.Run("evaluate", file, "--data", Repo.Data, "--device", "cpu", "--png", model.File($"cm-{Path.GetExtension(file)[1..]}.png"));
            Assert.True(code == ExitCodes.Ok, stderr);
            return stdout.Split('\n').Single(l => l.StartsWith("test accuracy: ", StringComparison.Ordinal));
        }

        var expected = Accuracy(model.Checkpoint);
        Assert.Equal(expected, Accuracy(model.Pt));
        Assert.Equal(expected, Accuracy(model.Safetensors));
    }

    [Fact]
    public void Exporting_again_replaces_the_earlier_export_of_each_format_with_the_same_model()
    {
        foreach (var (format, file) in new[] { ("pt", model.Pt), ("safetensors", model.Safetensors), ("onnx", model.Onnx) })
        {
            var before = File.ReadAllBytes(file);
            var (code, _, stderr) = BackpropAppTests.Run("export", model.Checkpoint, "--format", format, "--out", file);
            Assert.True(code == ExitCodes.Ok, stderr); // the file already holds an export of this kind, read and checked
            if (format == "pt") Assert.Equal(model.Weights.SelectMany(w => w.Values), StateDictFile.Load(file).SelectMany(w => w.Values)); // a zip holds its write time
            else Assert.Equal(before, File.ReadAllBytes(file));
        }
    }
}

/// <summary>The lesson's 784-50-10 exported, and what export and evaluate refuse.</summary>
[Collection(MnistGroup.Name)]
public sealed class ExportTests(ExportedModel fixture) : ExportFormatChecks<ExportedModel>(fixture), IClassFixture<ExportedModel>
{
    [Fact]
    public void Export_never_writes_over_its_input_and_refuses_a_missing_folder()
    {
        var before = File.ReadAllBytes(Model.Checkpoint);

        var (self, _, selfErr) = BackpropAppTests.Run("export", Model.Checkpoint, "--format", "pt", "--out", Model.Checkpoint);
        var (missing, _, missingErr) = BackpropAppTests.Run("export", Model.Checkpoint, "--format", "onnx", "--out", Model.File("no/such/m.onnx"));
        var (format, _, formatErr) = BackpropAppTests.Run("export", Model.Checkpoint, "--format", "tflite");

        Assert.Equal((ExitCodes.Failed, ExitCodes.Failed, ExitCodes.Usage), (self, missing, format));
        Assert.Contains("is the file being exported", selfErr);
        Assert.Contains("--out", missingErr);
        Assert.Contains("tflite", formatErr);
        Assert.Equal(before, File.ReadAllBytes(Model.Checkpoint));
        Assert.False(Directory.Exists(Model.File("no")));
    }

    [Fact]
    public void Evaluate_refuses_damaged_and_foreign_state_dicts_by_name()
    {
        var truncated = Model.File("truncated.pt");
        File.WriteAllBytes(truncated, File.ReadAllBytes(Model.Pt)[..1000]);
        var garbage = Model.File("garbage.safetensors");
        File.WriteAllBytes(garbage, [.. Enumerable.Range(0, 300).Select(i => (byte)(i * 37))]);
        var foreign = Model.File("foreign.safetensors");
        using (var scope = NewDisposeScope())
            TorchSharp.PyBridge.Safetensors.SaveStateDict(foreign, new Dictionary<string, TorchSharp.torch.Tensor> { ["fc.weight"] = zeros(10, 784) });

        foreach (var (file, says) in new[] { (truncated, "is not a readable PyTorch state_dict: it starts as a zip archive but is truncated or damaged"), (garbage, "is not a backprop checkpoint, a PyTorch .pt"), (foreign, "fc.weight (10, 784), not the state_dict of nn.Sequential(nn.Linear(784, h1), nn.ReLU(), ..., nn.Linear(hL, 10)) (the lesson's 784-nh-10, or deeper; keys 0.weight, 0.bias, 2.weight, 2.bias, ... as nn.Sequential numbers them): fc.weight is not the weight or bias of an nn.Linear in it"), (Model.File("none.pt"), "no such file") })
        {
            var (code, stdout, stderr) = BackpropAppTests.Run("evaluate", file, "--data", Repo.Data, "--png", Model.File("cm.png"));
            Assert.Equal(ExitCodes.Failed, code);
            Assert.StartsWith($"error: {file}: ", stderr);
            Assert.Contains(says, stderr);
            Assert.Empty(stdout);
        }
    }
}

/// <summary>784-100-50-10 exported: the keys nn.Sequential numbers, a Gemm per nn.Linear with a Relu between, and what export says it wrote.</summary>
[Collection(MnistGroup.Name)]
public sealed class DeepExportTests(DeepExportedModel fixture) : ExportFormatChecks<DeepExportedModel>(fixture), IClassFixture<DeepExportedModel>
{
    [Fact]
    public void The_onnx_graph_chains_Gemm_Relu_Gemm_Relu_Gemm_named_as_nn_Sequential_numbers_its_modules()
    {
        var graph = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Model.Onnx)).Graph;

        Assert.Equal(["Gemm", "Relu", "Gemm", "Relu", "Gemm"], graph.Node.Select(n => n.OpType));
        Assert.Equal(["0", "1", "2", "3", "4"], graph.Node.Select(n => n.Name));
        Assert.Equal([["input", "0.weight", "0.bias"], ["0.output"], ["1.output", "2.weight", "2.bias"], ["2.output"], ["3.output", "4.weight", "4.bias"]],
            graph.Node.Select(n => n.Input.ToArray()));
        Assert.Equal("logits", graph.Node[^1].Output.Single());
        Assert.Equal(Model.Keys, graph.Initializer.Select(t => t.Name));
    }

    [Fact]
    public void Export_names_the_model_and_its_keys()
    {
        Assert.Contains("784-100-50-10 after 1 epoch(s), cross_entropy, manual gradients as the state_dict of nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 10)) (pt; keys 0.weight, 0.bias, 2.weight, 2.bias, 4.weight, 4.bias)", Model.Said["pt"]);
        Assert.Contains("as ONNX (opset 13): input (N, 784) float32 -> Gemm -> Relu -> Gemm -> Relu -> Gemm -> logits (N, 10)", Model.Said["onnx"]);
    }

    [Fact]
    public void Predict_reads_the_deep_state_dict_as_it_reads_the_checkpoint()
    {
        var png = Model.File("first-test-digit.png");
        var rgba = Model.TestImages[..784].SelectMany(v => new[] { (byte)Math.Round(v * 256), (byte)Math.Round(v * 256), (byte)Math.Round(v * 256), (byte)255 }).ToArray();
        using (var file = File.Create(png)) new StbImageWriteSharp.ImageWriter().WritePng(rgba, 28, 28, StbImageWriteSharp.ColorComponents.RedGreenBlueAlpha, file);

        var (ckptCode, fromCheckpoint, e1) = BackpropAppTests.Run("predict", Model.Checkpoint, png, "--json");
        var (ptCode, fromPt, e2) = BackpropAppTests.Run("predict", Model.Pt, png, "--json");

        Assert.True(ckptCode == ExitCodes.Ok, e1);
        Assert.True(ptCode == ExitCodes.Ok, e2);
        Assert.Equal(fromCheckpoint, fromPt);
    }
}
