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
/// The shared one epoch of <c>backprop train</c> (<see cref="TrainedRun"/>), exported by <c>backprop export</c> in all three
/// formats, with our own logits on the test split to compare every reader's with. Made once per test class that asks for it.
/// </summary>
public sealed class ExportedModel : IDisposable
{
    private readonly TempDir _dir = new();

    public ExportedModel(TrainedRun run, MnistFixture data)
    {
        Checkpoint = run.Checkpoint;
        foreach (var (format, path) in new[] { ("pt", Pt), ("safetensors", Safetensors), ("onnx", Onnx) })
        {
            var (code, _, err) = BackpropAppTests.Run("export", Checkpoint, "--format", format, "--out", path);
            Assert.True(code == ExitCodes.Ok, err);
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

    public void Dispose() => _dir.Dispose();

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
/// <c>backprop export</c>'s three formats read back in .NET: our own readers, the safetensors specification, the test
/// suite's own ONNX interpreter and (with <c>-p:OnnxRuntime=true</c>) ONNX Runtime.
/// </summary>
[Collection(MnistGroup.Name)]
public sealed class ExportTests(ExportedModel model) : IClassFixture<ExportedModel>
{
    [Fact]
    public void The_pt_and_safetensors_files_hold_the_checkpoint_s_weights_bit_for_bit()
    {
        foreach (var file in new[] { model.Pt, model.Safetensors })
        {
            var read = StateDictFile.Load(file);
            Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], read.Select(t => t.Name));
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
    public void Export_never_writes_over_its_input_and_refuses_a_missing_folder()
    {
        var before = File.ReadAllBytes(model.Checkpoint);

        var (self, _, selfErr) = BackpropAppTests.Run("export", model.Checkpoint, "--format", "pt", "--out", model.Checkpoint);
        var (missing, _, missingErr) = BackpropAppTests.Run("export", model.Checkpoint, "--format", "onnx", "--out", model.File("no/such/m.onnx"));
        var (format, _, formatErr) = BackpropAppTests.Run("export", model.Checkpoint, "--format", "tflite");

        Assert.Equal((ExitCodes.Failed, ExitCodes.Failed, ExitCodes.Usage), (self, missing, format));
        Assert.Contains("is the file being exported", selfErr);
        Assert.Contains("--out", missingErr);
        Assert.Contains("tflite", formatErr);
        Assert.Equal(before, File.ReadAllBytes(model.Checkpoint));
        Assert.False(Directory.Exists(model.File("no")));
    }

    [Fact]
    public void Evaluate_refuses_damaged_and_foreign_state_dicts_by_name()
    {
        var truncated = model.File("truncated.pt");
        File.WriteAllBytes(truncated, File.ReadAllBytes(model.Pt)[..1000]);
        var garbage = model.File("garbage.safetensors");
        File.WriteAllBytes(garbage, [.. Enumerable.Range(0, 300).Select(i => (byte)(i * 37))]);
        var foreign = model.File("foreign.safetensors");
        using (var scope = NewDisposeScope())
            TorchSharp.PyBridge.Safetensors.SaveStateDict(foreign, new Dictionary<string, TorchSharp.torch.Tensor> { ["fc.weight"] = zeros(10, 784) });

        foreach (var (file, says) in new[] { (truncated, "is not a readable PyTorch state_dict: it starts as a zip archive but is truncated or damaged"), (garbage, "is not a backprop checkpoint, a PyTorch .pt"), (foreign, "fc.weight (10, 784), not the lesson's"), (model.File("none.pt"), "no such file") })
        {
            var (code, stdout, stderr) = BackpropAppTests.Run("evaluate", file, "--data", Repo.Data, "--png", model.File("cm.png"));
            Assert.Equal(ExitCodes.Failed, code);
            Assert.StartsWith($"error: {file}: ", stderr);
            Assert.Contains(says, stderr);
            Assert.Empty(stdout);
        }
    }
}
