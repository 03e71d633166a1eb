using System.Globalization;
using System.Text.RegularExpressions;

namespace Backprop.Tests.Notebooks;

/// <summary>Runs each notebook as a reader does, <c>dotnet run notebooks/NAME.cs</c> from the repository root, and reads its output.</summary>
public sealed partial class NotebookTests
{
    private static readonly string[] Headers03 =
    [
        "Setup", "Basic architecture", "Loss function: MSE", "Gradients and backward pass", "Check against autograd",
        "Refactor model: layers as classes", "Module.forward()", "Autograd", "Summary",
    ];

    private static readonly string[] Headers04 =
    [
        "Setup", "Initial setup: the model", "Cross entropy loss", "Basic training loop", "Using parameters and nn.Module",
        "MyModule: what __setattr__ does", "Registering modules: nn.ModuleList", "nn.Sequential", "optim: an Optimizer of our own",
        "optim.SGD and get_model", "Dataset and DataLoader", "Random sampling", "Multiprocessing DataLoader", "Validation", "Summary",
    ];

    private static (int Code, string Out) Run(string notebook)
    {
        var (code, stdout, stderr) = ChildProcess.Run("dotnet", ["run", Path.Combine("notebooks", notebook)], TimeSpan.FromMinutes(5),
            new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" });
        return (code, stdout + stderr);
    }

    private static void HeadersInOrder(string output, string[] headers)
    {
        var found = output.Split('\n').Where(l => l.StartsWith("## ", StringComparison.Ordinal)).Select(l => l[3..].Trim()).ToArray();
        Assert.Equal(headers, found);
    }

    [Fact]
    public void Backprop_runs_every_section_and_every_gradient_check_passes_with_the_course_s_numbers()
    {
        var (code, output) = Run("03_backprop.cs");

        Assert.True(code == 0, output);
        HeadersInOrder(output, Headers03);
        var checks = output.Split('\n').Where(l => l.StartsWith("test_close ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(15, checks.Length); // x, w1, b1, w2, b2 for functions, classes and the Module base
        Assert.All(checks, c => Assert.Contains(": pass", c));
        Assert.Contains("all gradient checks passed", output);
        // The course's outputs under torch.manual_seed(42).
        Assert.Contains("tensor([[ 0.00, 11.87,  0.00,  ...,  5.48,  2.14, 15.30],", output);
        Assert.Contains("tensor([  25.75,  -13.06, -114.79,  ...,  -67.44,  -74.48,  -60.19])", output);
        Assert.Contains("tensor(4308.76)", output);
        Assert.Contains("tensor([-19.60,  -2.40,  -0.12,   1.99,  12.78,", output);
    }

    [Fact]
    public void Minibatch_training_runs_every_section_with_sane_losses_and_ends_with_a_good_fit()
    {
        var (code, output) = Run("04_minibatch_training.cs");

        Assert.True(code == 0, output);
        HeadersInOrder(output, Headers04);
        Assert.Equal(3, output.Split('\n').Count(l => l.StartsWith("test_close ", StringComparison.Ordinal) && l.Contains(": pass", StringComparison.Ordinal)));
        Assert.Contains("tensor([-0.09, -0.21, -0.08,  0.10, -0.04,  0.08, -0.04, -0.03,  0.01,  0.06])", output);
        Assert.Contains("loss_func(preds, yb):\ntensor(2.30)", output);

        var reports = ReportLine().Matches(output).Select(m => (Loss: Num(m.Groups[1].Value), Acc: Num(m.Groups[2].Value))).ToArray();
        Assert.Equal(27, reports.Length); // 3 epochs in each of the 9 loops, from the basic loop to the prefetching loader
        Assert.All(reports, r => Assert.InRange(r.Loss, 0.0, 1.0));
        Assert.All(reports, r => Assert.InRange(r.Acc, 0.8, 1.0));

        var epochs = FitLine().Matches(output).Select(m => (Loss: Num(m.Groups[2].Value), Acc: Num(m.Groups[3].Value))).ToArray();
        Assert.Equal(5, epochs.Length);
        Assert.All(epochs, e => Assert.InRange(e.Loss, 0.05, 0.3));
        Assert.All(epochs, e => Assert.InRange(e.Acc, 0.94, 1.0));
        Assert.True(epochs[^1].Acc >= 0.965, $"the course's validation fit ends at {epochs[^1].Acc}"); // 0.9702 on one thread
        Assert.Contains("all checks passed", output);
    }

    private static double Num(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(\d\.\d\d), (\d\.\d\d)$", RegexOptions.Multiline)]
    private static partial Regex ReportLine();

    [GeneratedRegex(@"^([0-4]) (\d\.\d{4}) (\d\.\d{4})$", RegexOptions.Multiline)]
    private static partial Regex FitLine();
}
