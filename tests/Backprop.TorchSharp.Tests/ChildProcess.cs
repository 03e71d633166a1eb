using System.Diagnostics;

namespace Backprop.Tests;

/// <summary>Runs a program to its end from the repository root (or a folder given), reading both of its outputs, as a test that starts a process needs.</summary>
internal static class ChildProcess
{
    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="args"/> (and <paramref name="env"/> added to the environment) in
    /// <paramref name="cwd"/>, by default the repository's root. Fails the test, after killing it, when it runs
    /// past <paramref name="timeout"/>.
    /// </summary>
    /// <returns>Its exit code, standard output and standard error.</returns>
    /// <exception cref="System.ComponentModel.Win32Exception"><paramref name="file"/> cannot be started (not installed).</exception>
    public static (int Code, string Out, string Err) Run(string file, IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string>? env = null, string? cwd = null)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = cwd ?? Repo.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', psi.ArgumentList)} did not finish in {timeout.TotalMinutes:G} minutes");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
