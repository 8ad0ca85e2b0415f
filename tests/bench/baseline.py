"""The bare pipeline's speech: what `espeak-ng -w OUT.wav -s 170 -v en-US+m3 -f TEXT` does.

There is no espeak-ng program on the machines we measure on, and installing one would
change which libespeak-ng the tool itself loads. So this drives the library that
espeakng-loader ships through its C API, as the program would: synchronous output,
one text, samples gathered by the synth callback, a 16-bit mono WAV at the library's rate.

Run as a script in its own process (`python baseline.py TEXT WAV`), so that the
benchmark's process never loads libespeak-ng. Prints one JSON line: rate, samples,
library version.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
import wave

AUDIO_OUTPUT_SYNCHRONOUS = 2
ESPEAK_RATE = 1
POS_CHARACTER = 1
ESPEAK_CHARS_UTF8 = 1
EE_OK = 0

SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


def _load():
    import espeakng_loader

    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [SynthCallback]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
        ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p,
    ]  # fmt: skip
    lib.espeak_Info.argtypes = [ctypes.c_void_p]
    lib.espeak_Info.restype = ctypes.c_char_p
    return lib, os.fsencode(espeakng_loader.get_data_path())


def synthesize(text: str, voice: str = "en-US+m3", rate: int = 170) -> tuple[bytes, int, str]:
    """(PCM, sample rate, library version) of `text` read in one go."""
    lib, data = _load()
    sample_rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0)
    if sample_rate <= 0:
        raise SystemExit(f"espeak_Initialize failed ({sample_rate})")
    chunks: list[bytes] = []

    def collect(wav, count, events):
        if wav and count > 0:
            chunks.append(ctypes.string_at(wav, count * 2))
        return 0

    callback = SynthCallback(collect)  # kept referenced until synthesis ends
    lib.espeak_SetSynthCallback(callback)
    if lib.espeak_SetVoiceByName(voice.encode()) != EE_OK:
        raise SystemExit(f"espeak_SetVoiceByName({voice!r}) failed")
    if lib.espeak_SetParameter(ESPEAK_RATE, rate, 0) != EE_OK:
        raise SystemExit("espeak_SetParameter(rate) failed")
    encoded = text.encode("utf-8")
    status = lib.espeak_Synth(encoded, len(encoded) + 1, 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, None, None)
    if status != EE_OK or lib.espeak_Synchronize() != EE_OK:
        raise SystemExit(f"espeak_Synth failed ({status})")
    version = (lib.espeak_Info(None) or b"?").decode()
    lib.espeak_Terminate()
    return b"".join(chunks), sample_rate, version


def main(argv: list[str]) -> None:
    text_file, wav_file = argv
    with open(text_file, encoding="utf-8-sig") as f:
        text = f.read()
    pcm, rate, version = synthesize(text)
    with wave.open(wav_file, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    print(json.dumps({"rate": rate, "samples": len(pcm) // 2, "version": version}))


if __name__ == "__main__":
    main(sys.argv[1:])
