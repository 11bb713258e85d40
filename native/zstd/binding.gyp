{
  "targets": [
    {
      "target_name": "tributary_zstd",
      "sources": ["zstd.c"],
      "libraries": ["-lzstd"],
      "cflags": ["-O2", "-std=c11", "-Wall", "-Wextra"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O2", "-std=c11"] }
    }
  ]
}
