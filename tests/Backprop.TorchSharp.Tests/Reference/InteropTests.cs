using System.Globalization;
using System.Text.Json;
using Backprop.Cli;
using Backprop.Tests.Cli;
using Backprop.Tests.Cli.Runs;

namespace Backprop.Tests.Reference;

/// <summary>
/// <c>backprop export</c> and <c>backprop evaluate FILE.pt</c> against PyTorch and ONNX's own checker
/// (<c>interop.py</c>): what we export, PyTorch loads strictly into the <c>nn.Sequential</c> of the same widths and predicts
/// as we do; what PyTorch trains and saves, we evaluate to PyTorch's accuracy. Once for each model a derived class's fixture trains.
/// </summary>
public abstract class InteropChecks<TModel>(TModel model) where TModel : ExportedModel
{
    /// <summary>What PyTorch trains in <see cref="A_state_dict_PyTorch_trained_and_saved_evaluates_here_to_PyTorch_s_accuracy"/>, as interop.py's --hidden.</summary>
    protected abstract string PyTorchTrains { get; }

    private (JsonDocument Report, float[] Logits) PyTorchLogits(params string[] extra)
    {
        var bin = model.File($"logits-{Guid.NewGuid():N}.bin");
        var report = JsonDocument.Parse(PyTorch.Run("interop.py", ["logits", Repo.MnistIdx, model.Pt, bin, "--hidden", model.Hidden, .. extra]));
        Assert.Equal(model.Keys, report.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetString()));
        var bytes = File.ReadAllBytes(bin);
        var logits = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, logits, 0, bytes.Length); // written little-endian ('<f4'); this test runs on little-endian machines
        return (report, logits);
    }

    [PyTorchFact]
    public void PyTorch_loads_the_exported_pt_strictly_and_the_safetensors_and_predicts_every_test_image_as_we_do()
    {
        // interop.py fails (and so this test) unless load_state_dict takes the .pt strictly and the .safetensors holds the same bits.
        var (report, logits) = PyTorchLogits("--safetensors", model.Safetensors);
        using (report)
        {
            var widths = model.Hidden.Split(',').Select(int.Parse).ToArray();
            int[] sizes = [784, .. widths, 10];
            var layers = sizes.Zip(sizes.Skip(1)).Select((p, i) => $"({2 * i}): Linear(in_features={p.First}, out_features={p.Second}, bias=True)");
            var built = report.RootElement.GetProperty("model").GetString()!;
            Assert.Equal($"Sequential(  {string.Join("  ", layers.Select((l, i) => i == 0 ? l : $"({(2 * i) - 1}): ReLU()  {l}"))})", built);
            Assert.True(report.RootElement.GetProperty("safetensors_equal").GetBoolean());
        }
        model.AssertSameLogits(logits, "PyTorch");
    }

    [PyTorchFact]
    public void PyTorch_scores_the_exported_pt_at_our_own_test_accuracy()
    {
        var (code, stdout, stderr) = BackpropAppTests.Run("evaluate", model.Checkpoint, "--data", Repo.Data, "--device", "cpu", "--png", model.File($"cm-ours-{Guid.NewGuid():N}.png"));
        Assert.True(code == ExitCodes.Ok, stderr);
        var (report, _) = PyTorchLogits();
        using (report)
        {
            var theirs = report.RootElement.GetProperty("test_acc").GetDouble();
            var correct = (long)Math.Round(theirs * 10_000);
            Assert.Contains($"test accuracy: {(correct / 10_000.0).ToString("F4", CultureInfo.InvariantCulture)} ({correct:N0} of 10,000)", stdout);
            Assert.InRange(theirs, 0.9, 1); // a trained model, not a coincidence of two untrained ones
        }
    }

    [OnnxCheckerFact]
    public void The_exported_onnx_passes_onnx_checker_s_full_check()
    {
        var bin = model.File($"logits-onnx-{Guid.NewGuid():N}.bin");
        var report = PyTorch.Run("interop.py", "logits", Repo.MnistIdx, model.Pt, bin, "--hidden", model.Hidden, "--onnx", model.Onnx);
        Assert.Contains("\"onnx_checked\"", report);
    }

    [PyTorchFact]
    public void A_state_dict_PyTorch_trained_and_saved_evaluates_here_to_PyTorch_s_accuracy()
    {
        var pt = model.File($"pytorch-{PyTorchTrains.Replace(',', '-')}.pt");
        using var report = JsonDocument.Parse(PyTorch.Run("interop.py", "train", Repo.MnistIdx, pt, "--hidden", PyTorchTrains, "--epochs", "1"));
        var theirs = report.RootElement.GetProperty("test_acc").GetDouble();

        var (code, stdout, stderr) = BackpropAppTests.Run("evaluate", pt, "--data", Repo.Data, "--device", "cpu", "--png", model.File($"cm-pytorch-{PyTorchTrains}.png"));

        Assert.True(code == ExitCodes.Ok, stderr);
        Assert.Contains($"784-{PyTorchTrains.Replace(',', '-')}-10 state_dict", stdout); // the depth and widths read from the weights
        var correct = (long)Math.Round(theirs * 10_000);
        Assert.Contains($"test accuracy: {(correct / 10_000.0).ToString("F4", CultureInfo.InvariantCulture)} ({correct:N0} of 10,000)", stdout);
    }
}

/// <summary>The lesson's 784-50-10 both ways; PyTorch trains 784-30-10.</summary>
[Collection(MnistGroup.Name)]
[Trait("Category", "Process")]
public sealed class InteropTests(ExportedModel model) : InteropChecks<ExportedModel>(model), IClassFixture<ExportedModel>
{
    protected override string PyTorchTrains => "30";
}

/// <summary>
/// Two hidden layers both ways (issue 26): a <c>--hidden 100,50</c> run's .pt loads strictly into
/// <c>nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 10))</c> and PyTorch scores it
/// at our test accuracy; PyTorch trains 784-30-20-10 and we score it at PyTorch's.
/// </summary>
[Collection(MnistGroup.Name)]
[Trait("Category", "Process")]
public sealed class DeepInteropTests(DeepExportedModel model) : InteropChecks<DeepExportedModel>(model), IClassFixture<DeepExportedModel>
{
    protected override string PyTorchTrains => "30,20";
}
