using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;
using TorchSharp;

namespace Backprop.Native;

/// <summary>ATen's sets of vectorised CPU kernels, as <c>ATEN_CPU_CAPABILITY</c> names them.</summary>
public enum CpuCapability
{
    /// <summary>No vector extensions beyond the compiler's baseline (<c>default</c>).</summary>
    Default,

    /// <summary>AVX2 and FMA (<c>avx2</c>): every x86-64 CPU since 2013 (Intel Haswell, AMD Excavator and Zen).</summary>
    Avx2,

    /// <summary>AVX-512 F, BW, DQ and VL with FMA (<c>avx512</c>): Intel Skylake-SP and later, AMD Zen 4 and later.</summary>
    Avx512,
}

/// <summary>
/// Which vectorised CPU kernels libtorch runs, and a pin that makes them the same on every x86-64 CPU with AVX2.
/// libtorch picks ATen's kernels by the CPU it finds (<see cref="CpuCapability"/>), and MKL, inside libtorch, picks its
/// own; the choice changes the last bits of a reduction, which training grows into other printed digits (on an AVX-512
/// CPU the lesson's first training loop prints 0.11 where the course shows 0.12). <see cref="Pin()"/> chooses for them.
/// </summary>
/// <remarks>
/// <para>libtorch reads <c>ATEN_CPU_CAPABILITY</c> with the C runtime's <c>getenv</c> the first time an operator
/// dispatches, and keeps what it found; MKL reads <c>MKL_CBWR</c> at its first call. .NET's
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> changes only the runtime's own copy on Unix, which
/// native code never sees, so the pin calls the C library's <c>setenv</c>, then asks libtorch which kernels it took.</para>
/// <para>MKL honours a pinned code path (<c>MKL_CBWR=AVX2</c>) only on Intel CPUs: on others it refuses every path but
/// AUTO and COMPATIBLE, and both change the course's numbers on an AMD EPYC, where MKL's own choice keeps them. So the
/// pin sets <c>MKL_CBWR</c> on Intel CPUs only.</para>
/// <para>The pin is implemented for Linux on x86-64 (where libtorch answers which kernels it took). Elsewhere, and on
/// CPUs without AVX2 and FMA (forcing kernels the CPU lacks would crash), nothing is pinned and <see cref="CpuKernelsState.Note"/> says so.</para>
/// </remarks>
public static partial class CpuKernels
{
    /// <summary>The environment variable that <see cref="Pin()"/> reads: <c>auto</c> (pin nothing), <c>default</c>, <c>avx2</c> or <c>avx512</c>.</summary>
    public const string Variable = "BACKPROP_CPU_KERNELS";

    private const string AtenVariable = "ATEN_CPU_CAPABILITY";
    private const string MklVariable = "MKL_CBWR";
    private static readonly Lock Gate = new();
    private static bool _read;
    private static string? _givenAten; // ATEN_CPU_CAPABILITY as the process found it, before any pin
    private static CpuCapability? _pinned;
    private static string _note = "not pinned: libtorch and MKL choose by CPU";
    private static IntPtr _libtorch;

    /// <summary>
    /// Pins the kernels to AVX2, or to what <c>$BACKPROP_CPU_KERNELS</c> says (<c>auto</c>: pins nothing), before libtorch's
    /// first operator. Loads TorchSharp (<see cref="TorchNative.EnsureLoaded"/>).
    /// </summary>
    /// <returns>Which kernels are in force, and whether they are pinned.</returns>
    /// <exception cref="ArgumentException"><c>BACKPROP_CPU_KERNELS</c> holds something else.</exception>
    /// <exception cref="InvalidOperationException">libtorch had already chosen other kernels: a torch operator ran before the pin.</exception>
    public static CpuKernelsState Pin() => Pin(Configured(), $"{Variable}=auto");

    /// <summary>
    /// Pins ATen's kernels to <paramref name="capability"/> (and, on Intel CPUs, MKL's code path to the same instruction
    /// set) before libtorch's first operator; <see langword="null"/> pins nothing and leaves the choice to libtorch and MKL.
    /// Where the pin is not possible (see the remarks of <see cref="CpuKernels"/>) nothing is set. Loads TorchSharp.
    /// </summary>
    /// <param name="capability">The kernels to run, or <see langword="null"/> for the CPU's own.</param>
    /// <returns>Which kernels are in force, and whether they are pinned.</returns>
    /// <exception cref="InvalidOperationException">libtorch had already chosen other kernels: a torch operator ran before the pin.</exception>
    public static CpuKernelsState Pin(CpuCapability? capability) => Pin(capability, null);

    private static CpuKernelsState Pin(CpuCapability? capability, string? whyNone)
    {
        lock (Gate)
        {
            if (_pinned is { } done && done != capability)
                throw new InvalidOperationException($"the CPU kernels are already pinned to {Name(done)}; a process pins them once, before libtorch's first operator");
            Remember();
            if (_pinned is null) _note = capability is { } c ? Set(c) : $"not pinned{(whyNone is null ? "" : $" ({whyNone})")}: libtorch and MKL choose by CPU";
            var state = Read();
            if (_pinned is { } wanted && state.Capability is { } took && took != Name(wanted))
            {
                _pinned = null;
                _note = $"not pinned: libtorch had already chosen its {took} kernels when the pin to {Name(wanted)} came";
                throw new InvalidOperationException($"libtorch had already chosen its {took} kernels when the pin to {Name(wanted)} came: call CpuKernels.Pin before the first torch operator");
            }
            return state;
        }
    }

    /// <summary>What <c>$BACKPROP_CPU_KERNELS</c> asks for: <see cref="CpuCapability.Avx2"/> when it is unset, <see langword="null"/> for <c>auto</c>.</summary>
    /// <exception cref="ArgumentException">The variable holds something else.</exception>
    public static CpuCapability? Configured() => Configured(Environment.GetEnvironmentVariable(Variable));

    internal static CpuCapability? Configured(string? variable)
    {
        var value = variable?.Trim();
        if (string.IsNullOrEmpty(value)) return CpuCapability.Avx2;
        if (value.Equals("auto", StringComparison.OrdinalIgnoreCase)) return null;
        foreach (var c in Enum.GetValues<CpuCapability>())
            if (value.Equals(Name(c), StringComparison.OrdinalIgnoreCase)) return c;
        throw new ArgumentException($"{Variable}={value} is not a choice of CPU kernels: use auto, default, avx2 or avx512");
    }

    /// <summary>Whether this CPU runs <paramref name="capability"/>'s kernels (always false off x86-64).</summary>
    public static bool IsSupported(CpuCapability capability) => RuntimeInformation.ProcessArchitecture == Architecture.X64 && capability switch
    {
        CpuCapability.Default => true,
        CpuCapability.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        CpuCapability.Avx512 => Avx512F.VL.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported && Fma.IsSupported, // libtorch's own test
        _ => false,
    };

    /// <summary>
    /// The kernels in force: libtorch's own answer (<c>at::get_cpu_capability()</c>, which Python's
    /// <c>torch.backends.cpu.get_cpu_capability()</c> gives) and MKL's code path. Asking fixes libtorch's choice, as its
    /// first operator would. Loads TorchSharp.
    /// </summary>
    public static CpuKernelsState Current
    {
        get
        {
            lock (Gate) return Read();
        }
    }

    private static CpuKernelsState Read()
    {
        Remember();
        TorchNative.EnsureLoaded();
        var aten = AtenCapability();
        return new CpuKernelsState(aten, _pinned is { } p && aten == Name(p), MklBranch(), _note, Name(Automatic()));
    }

    /// <summary>The capability's name as <c>ATEN_CPU_CAPABILITY</c> spells it: <c>default</c>, <c>avx2</c> or <c>avx512</c>.</summary>
    public static string Name(CpuCapability capability) => capability switch
    {
        CpuCapability.Avx2 => "avx2",
        CpuCapability.Avx512 => "avx512",
        _ => "default",
    };

    private static void Remember()
    {
        if (_read) return;
        _givenAten = NativeGetEnv(AtenVariable);
        _read = true;
    }

    // Sets the variables libtorch and MKL read, natively; returns how, or why not.
    private static string Set(CpuCapability capability)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return $"not pinned: the pin is implemented for Linux on x86-64, not {RuntimeInformation.RuntimeIdentifier}";
        if (!IsSupported(capability))
            return $"not pinned: this CPU lacks {(capability == CpuCapability.Avx512 ? "AVX-512 (F, BW, DQ and VL) with FMA" : "AVX2 and FMA")}, which libtorch's {Name(capability)} kernels need";
        var overridden = _givenAten is { } given && given != Name(capability) ? $", over {AtenVariable}={given} in the environment" : "";
        SetEnv(AtenVariable, Name(capability));
        var pinned = $"pinned by {AtenVariable}={Name(capability)}{overridden}; MKL takes a pinned code path on Intel CPUs only";
        if (CpuVendor() == "GenuineIntel")
        {
            var branch = capability switch { CpuCapability.Avx2 => "AVX2", CpuCapability.Avx512 => "AVX512", _ => "COMPATIBLE" };
            SetEnv(MklVariable, branch);
            pinned = $"pinned by {AtenVariable}={Name(capability)}{overridden} and {MklVariable}={branch}";
        }
        _pinned = capability;
        return pinned;
    }

    private static CpuCapability Automatic()
    {
        foreach (var c in Enum.GetValues<CpuCapability>())
            if (_givenAten == Name(c)) return c;
        return IsSupported(CpuCapability.Avx512) ? CpuCapability.Avx512 : IsSupported(CpuCapability.Avx2) ? CpuCapability.Avx2 : CpuCapability.Default;
    }

    private static string CpuVendor()
    {
        if (!X86Base.IsSupported) return "";
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<byte> vendor = stackalloc byte[12];
        BitConverter.TryWriteBytes(vendor, ebx);
        BitConverter.TryWriteBytes(vendor[4..], edx);
        BitConverter.TryWriteBytes(vendor[8..], ecx);
        return Encoding.ASCII.GetString(vendor);
    }

    private static void SetEnv(string name, string value)
    {
        if (NativeSetEnv(name, value, 1) != 0) throw new InvalidOperationException($"setenv({name}) failed: {Marshal.GetLastPInvokeErrorMessage()}");
    }

    private static string? NativeGetEnv(string name) => OperatingSystem.IsLinux() ? Marshal.PtrToStringUTF8(NativeGetEnvPtr(name)) : Environment.GetEnvironmentVariable(name);

    // at::get_cpu_capability() returns a std::string by value: under the Itanium C++ ABI a class with a destructor comes
    // back through a hidden pointer, as a 32-byte C struct does, and libstdc++ keeps up to 15 characters inside the object.
    private static unsafe string? AtenCapability()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 || Export("_ZN2at18get_cpu_capabilityB5cxx11Ev") is not { } f) return null;
        var s = ((delegate* unmanaged<StdString>)f)();
        if (s.Length is < 0 or > 15) return null; // capability names are short; a longer one would live on libstdc++'s heap
        return Encoding.ASCII.GetString(new ReadOnlySpan<byte>(s.Local, (int)s.Length)).ToLowerInvariant(); // DEFAULT, AVX2, AVX512
    }

    // mkl_cbwr_get(MKL_CBWR_BRANCH): the code path MKL is pinned to, or off when it chooses by CPU (mkl_service.h's values).
    private static unsafe string? MklBranch()
    {
        if (Export("mkl_serv_cbwr_get") is not { } f) return null;
        var branch = ((delegate* unmanaged<int, int>)f)(1);
        return branch switch
        {
            1 => "off",
            2 => "auto",
            3 => "compatible",
            4 => "sse2",
            6 => "ssse3",
            7 => "sse4_1",
            8 => "sse4_2",
            9 => "avx",
            10 => "avx2",
            12 => "avx512",
            _ => $"branch {branch}",
        };
    }

    private static IntPtr? Export(string name)
    {
        if (_libtorch == IntPtr.Zero && !NativeLibrary.TryLoad("libtorch_cpu.so", typeof(torch).Assembly, null, out _libtorch)) return null;
        return NativeLibrary.TryGetExport(_libtorch, name, out var f) ? f : null;
    }

    // libstdc++'s std::__cxx11::string: a pointer to the characters, the length, then 16 bytes of in-place characters.
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct StdString
    {
        public IntPtr Data;
        public long Length;
        public fixed byte Local[16];
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int NativeSetEnv(string name, string value, int overwrite);

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial IntPtr NativeGetEnvPtr(string name);
}

/// <summary>The CPU kernels in force, as libtorch and MKL report them (<see cref="CpuKernels.Current"/>).</summary>
public sealed class CpuKernelsState
{
    internal CpuKernelsState(string? capability, bool pinned, string? mklBranch, string note, string automatic) =>
        (Capability, Pinned, MklBranch, Note, Automatic) = (capability, pinned, mklBranch, note, automatic);

    /// <summary>libtorch's ATen kernels: <c>default</c>, <c>avx2</c> or <c>avx512</c>; <see langword="null"/> where libtorch cannot be asked (off Linux x86-64).</summary>
    public string? Capability { get; }

    /// <summary>Whether <see cref="CpuKernels.Pin()"/> chose them.</summary>
    public bool Pinned { get; }

    /// <summary>MKL's pinned code path (<c>avx2</c>, <c>avx512</c>, <c>compatible</c>, <c>auto</c>), or <c>off</c> when it chooses by CPU; <see langword="null"/> without MKL.</summary>
    public string? MklBranch { get; }

    /// <summary>How they came about: pinned and how, or why not.</summary>
    public string Note { get; }

    /// <summary>The kernels libtorch picks by itself on this machine: its <c>ATEN_CPU_CAPABILITY</c> as the process found it, else by CPU.</summary>
    public string Automatic { get; }

    /// <summary>
    /// One line: the kernels, then how they came about, e.g. <c>ATen avx2 kernels (libtorch's own choice here: avx512), MKL's
    /// own code path: pinned by ATEN_CPU_CAPABILITY=avx2; MKL takes a pinned code path on Intel CPUs only</c>.
    /// </summary>
    public override string ToString()
    {
        var aten = Capability is null ? "ATen kernels not known (libtorch is asked on Linux x86-64 only)" : $"ATen {Capability} kernels";
        var own = Capability is not null && Capability != Automatic ? $" (libtorch's own choice here: {Automatic})" : "";
        var mkl = MklBranch switch { null => "", "off" => ", MKL's own code path", _ => $", MKL code path {MklBranch}" };
        return $"{aten}{own}{mkl}: {Note}";
    }
}
