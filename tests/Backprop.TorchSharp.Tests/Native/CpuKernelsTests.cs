using System.Runtime.InteropServices;
using System.Text.Json;
using Backprop.Native;
using static TorchSharp.torch;

namespace Backprop.Tests.Native;

/// <summary>
/// The pin of the CPU kernels. In this process libtorch chose its kernels long ago (the test host pins nothing, so that a
/// suite run under a forced <c>ATEN_CPU_CAPABILITY</c> computes on those kernels); the pin itself is proven in fresh
/// processes of the runner, which pins before its first operator.
/// </summary>
public sealed class CpuKernelsTests
{
    [Theory]
    [InlineData(null, CpuCapability.Avx2)]
    [InlineData("", CpuCapability.Avx2)]
    [InlineData(" AVX512 ", CpuCapability.Avx512)]
    [InlineData("default", CpuCapability.Default)]
    [InlineData("auto", null)]
    public void The_variable_asks_for_avx2_by_default_and_auto_pins_nothing(string? variable, CpuCapability? expected) =>
        Assert.Equal(expected, CpuKernels.Configured(variable));

    [Fact]
    public void Another_value_of_the_variable_is_refused_by_name_with_the_choices()
    {
        var e = Assert.Throws<ArgumentException>(() => CpuKernels.Configured("avx9"));

        Assert.Contains("BACKPROP_CPU_KERNELS=avx9", e.Message);
        Assert.Contains("auto, default, avx2 or avx512", e.Message);
    }

    [Fact]
    public void A_wider_capability_is_supported_only_with_the_narrower_ones()
    {
        var x64 = RuntimeInformation.ProcessArchitecture == Architecture.X64;

        Assert.Equal(x64, CpuKernels.IsSupported(CpuCapability.Default));
        Assert.True(!CpuKernels.IsSupported(CpuCapability.Avx512) || CpuKernels.IsSupported(CpuCapability.Avx2));
        Assert.True(!CpuKernels.IsSupported(CpuCapability.Avx2) || CpuKernels.IsSupported(CpuCapability.Default));
    }

    [PinnableFact]
    public void Unpinned_libtorch_reports_the_kernels_its_own_rule_picks_for_this_cpu()
    {
        using (var t = ones(3).sum()) { } // the choice is made by the first operator, if nothing made it before

        var state = CpuKernels.Current;

        Assert.False(state.Pinned);
        Assert.Equal(state.Automatic, state.Capability); // libtorch's cpuinfo and the ATEN_CPU_CAPABILITY this process started with
        Assert.Contains($"ATen {state.Capability} kernels", state.ToString());
        Assert.Equal("off", state.MklBranch); // nothing pinned MKL either
    }

    [PinnableFact]
    public void A_pin_after_the_first_operator_is_refused_and_changes_nothing()
    {
        using (var t = ones(3).sum()) { }
        var before = CpuKernels.Current.Capability;
        var other = before == "avx2" ? CpuCapability.Default : CpuCapability.Avx2;

        var e = Assert.Throws<InvalidOperationException>(() => CpuKernels.Pin(other));

        Assert.Contains($"libtorch had already chosen its {before} kernels", e.Message);
        Assert.Contains("before the first torch operator", e.Message);
        Assert.Equal(before, CpuKernels.Current.Capability);
        Assert.False(CpuKernels.Current.Pinned);
    }

    // A figure that every capability changes (the lesson's train_loss and valid_loss after one epoch, to the last bit of
    // float32), got once from libtorch reading ATEN_CPU_CAPABILITY from the environment it started with, once from the
    // runner's pin: equal for each capability, and different between them, so the pin is what libtorch ran on.
    [PinnableFact]
    [Trait("Category", "Process")]
    public void Pinning_each_capability_changes_a_trained_loss_exactly_as_libtorch_s_own_variable_does()
    {
        CpuCapability[] capabilities = CpuKernels.IsSupported(CpuCapability.Avx512)
            ? [CpuCapability.Default, CpuCapability.Avx2, CpuCapability.Avx512]
            : [CpuCapability.Default, CpuCapability.Avx2];

        var pinned = capabilities.Select(c => OneEpoch(["--cpu-kernels", CpuKernels.Name(c)], null)).ToList();
        var byVariable = capabilities.Select(c => OneEpoch(["--cpu-kernels", "auto"], CpuKernels.Name(c))).ToList();

        Assert.Equal(byVariable.Select(r => (r.TrainLoss, r.ValidLoss)), pinned.Select(r => (r.TrainLoss, r.ValidLoss)));
        Assert.Equal(capabilities.Length, pinned.Select(r => r.ValidLoss).Distinct().Count());
        Assert.Equal(capabilities.Select(c => ((string?)CpuKernels.Name(c), true)), pinned.Select(r => (r.Aten, r.Pinned)));
        Assert.Equal(capabilities.Select(c => ((string?)CpuKernels.Name(c), false)), byVariable.Select(r => (r.Aten, r.Pinned)));
    }

    // DOTNET_EnableAVX512=0: a CPU without AVX-512, as .NET (and so the pin's check) sees it.
    [PinnableFact]
    [Trait("Category", "Process")]
    public void The_runner_refuses_a_pin_this_cpu_cannot_run_and_says_what_to_use()
    {
        using var dir = new TempDir();

        var (code, _, stderr) = ChildProcess.Run("dotnet", [Repo.RunnerDll, "train", "--epochs", "1", "--cpu-kernels", "avx512", "--out", dir.Path], TimeSpan.FromMinutes(3),
            new Dictionary<string, string?> { ["DOTNET_EnableAVX512"] = "0" });

        Assert.Equal(1, code);
        Assert.Contains("--cpu-kernels avx512 cannot be honoured", stderr);
        Assert.Contains("--cpu-kernels auto", stderr);
        Assert.False(File.Exists(dir.File("checkpoint.ckpt")));
    }

    private static (double TrainLoss, double ValidLoss, string? Aten, bool Pinned) OneEpoch(string[] kernels, string? variable)
    {
        using var dir = new TempDir();
        var env = new Dictionary<string, string?> { ["BACKPROP_CPU_KERNELS"] = "" };
        if (variable is not null) env["ATEN_CPU_CAPABILITY"] = variable;
        var (code, _, stderr) = ChildProcess.Run("dotnet", [Repo.RunnerDll, "train", "--epochs", "1", "--device", "cpu", "--out", dir.Path, .. kernels], TimeSpan.FromMinutes(3), env);
        Assert.True(code == 0, stderr);
        using var line = JsonDocument.Parse(File.ReadAllLines(dir.File("metrics.jsonl")).Single());
        var r = line.RootElement;
        var k = r.GetProperty("cpu_kernels");
        return (r.GetProperty("train_loss").GetDouble(), r.GetProperty("valid_loss").GetDouble(), k.GetProperty("aten").GetString(), k.GetProperty("pinned").GetBoolean());
    }
}
