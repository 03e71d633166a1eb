using System.CommandLine;
using Backprop.Native;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>--cpu-kernels</c> (train, bench) and the pin the runner applies for every command that computes, before libtorch's
/// first operator: by default the AVX2 kernels, so that a seed trains the same checkpoint on every x86-64 CPU with AVX2.
/// </summary>
internal static class CpuKernelsOption
{
    public const string Name = "--cpu-kernels";

    private static readonly Dictionary<string, CpuCapability?> Choices = new()
    {
        ["auto"] = null,
        ["avx2"] = CpuCapability.Avx2,
        ["avx512"] = CpuCapability.Avx512,
        ["default"] = CpuCapability.Default,
    };

    public static Option<string?> Create()
    {
        var o = new Option<string?>(Name)
        {
            Description = "CPU kernels: avx2 pins libtorch's (and, on Intel CPUs, MKL's) to AVX2, for the same numbers on every x86-64 CPU "
                + "that has it; auto lets libtorch and MKL choose by CPU; default and avx512 pin those [default: $BACKPROP_CPU_KERNELS, else avx2]",
            HelpName = "avx2|auto|avx512|default",
        };
        o.AcceptOnlyFromAmong([.. Choices.Keys]);
        return o;
    }

    /// <summary>
    /// Pins the kernels for the command <paramref name="parsed"/> runs: its <c>--cpu-kernels</c>, else
    /// <c>$BACKPROP_CPU_KERNELS</c>, else avx2. Where no pin is possible, the default goes on unpinned (the run says so) and
    /// an explicit choice is refused.
    /// </summary>
    /// <returns>An exit code when the command must not run, else <see langword="null"/>.</returns>
    public static int? Pin(ParseResult parsed, CliConsole io)
    {
        CpuCapability? choice;
        string asked;
        if (parsed.CommandResult.Command.Options.FirstOrDefault(o => o.Name == Name) is Option<string?> option && parsed.GetValue(option) is { } given)
            (choice, asked) = (Choices[given], $"{Name} {given}");
        else
        {
            try
            {
                choice = CpuKernels.Configured();
            }
            catch (ArgumentException e)
            {
                io.Error.WriteLine($"error: {e.Message}");
                return ExitCodes.Failed;
            }
            asked = Environment.GetEnvironmentVariable(CpuKernels.Variable) is { Length: > 0 } v ? $"{CpuKernels.Variable}={v}" : "";
        }
        var state = CpuKernels.Pin(choice);
        if (choice is null || state.Pinned || asked.Length == 0) return null;
        io.Error.WriteLine($"error: {asked} cannot be honoured ({state.Note}); use {Name} auto to run on the CPU's own kernels");
        return ExitCodes.Failed;
    }
}
