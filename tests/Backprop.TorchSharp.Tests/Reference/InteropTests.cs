using System.Globalization;
using System.Text.Json;
using Backprop.Cli;
using Backprop.Tests.Cli;
using Backprop.Tests.Cli.Runs;

namespace Backprop.Tests.Reference;

/// <summary>
/// <c>backprop export</c> and <c>backprop evaluate FILE.pt</c> against PyTorch and ONNX's own checker
/// (<c>interop.py</c>): what we export, PyTorch loads as the lesson's model and predicts as we do; what PyTorch trains
/// and saves, we evaluate to PyTorch's accuracy.
/// </summary>
[Collection(MnistGroup.Name)]
[Trait("Category", "Process")]
public sealed class InteropTests(ExportedModel model) : IClassFixture<ExportedModel>
{
    private float[] PyTorchLogits(params string[] extra)
    {
        var bin = model.File($"logits-{Guid.NewGuid():N}.bin");
        var report = PyTorch.Run("interop.py", ["logits", Repo.MnistIdx, model.Pt, bin, .. extra]);
        Assert.Contains("\"keys\": [\"0.weight\", \"0.bias\", \"2.weight\", \"2.bias\"]", report);
        var bytes = File.ReadAllBytes(bin);
        var logits = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, logits, 0, bytes.Length); // written little-endian ('<f4'); this test runs on little-endian machines
        return logits;
    }

    [PyTorchFact]
    public void PyTorch_loads_the_exported_pt_and_safetensors_and_predicts_every_test_image_as_we_do()
    {
        // interop.py fails (and so this test) unless load_state_dict takes the .pt strictly and the .safetensors holds the same bits.
        model.AssertSameLogits(PyTorchLogits("--safetensors", model.Safetensors), "PyTorch");
    }

    [OnnxCheckerFact]
    public void The_exported_onnx_passes_onnx_checker_s_full_check()
    {
        var bin = model.File("logits-onnx.bin");
        var report = PyTorch.Run("interop.py", "logits", Repo.MnistIdx, model.Pt, bin, "--onnx", model.Onnx);
        Assert.Contains("\"onnx_checked\"", report);
    }

    [PyTorchFact]
    public void A_state_dict_PyTorch_trained_and_saved_evaluates_here_to_PyTorch_s_accuracy()
    {
        var pt = model.File("pytorch-nh30.pt");
        using var report = JsonDocument.Parse(PyTorch.Run("interop.py", "train", Repo.MnistIdx, pt, "--nh", "30", "--epochs", "1"));
        var theirs = report.RootElement.GetProperty("test_acc").GetDouble();

        var (code, stdout, stderr) = BackpropAppTests.Run("evaluate", pt, "--data", Repo.Data, "--device", "cpu", "--png", model.File("cm-pytorch.png"));

        Assert.True(code == ExitCodes.Ok, stderr);
        Assert.Contains("784-30-10 state_dict", stdout); // nh read from the weights
        var correct = (long)Math.Round(theirs * 10_000);
        Assert.Contains($"test accuracy: {(correct / 10_000.0).ToString("F4", CultureInfo.InvariantCulture)} ({correct:N0} of 10,000)", stdout);
    }
}
